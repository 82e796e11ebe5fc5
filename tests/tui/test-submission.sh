# test-submission.sh -- SMTP on the submission port with STARTTLS (as
# `make demo` sets it up), IMAP with STARTTLS too: both TLS rows name
# STARTTLS, both certificates are asked about, the test passes.

tui_fresh_xdg
wiz_prefilled tui-sub "$MC_PASS" --imap localhost:$IMAP_SELF_PORT \
    --imap-security starttls --smtp localhost:$SUBMISSION_PORT \
    --smtp-security starttls || return
tui_wait 'Certificate: imap localhost' 15 || return
tui_keys o
tui_wait 'Certificate: smtp localhost' 15 || return
tui_keys o
tui_wait 'All good|✗' 15 || return
tui_wait 'TLS +[0-9]+ ms +STARTTLS, TLSv1\.[23]' || return
[ "$(tui_screen | grep -c 'TLS .*STARTTLS, TLSv1')" = 2 ] &&
    pass "IMAP and SMTP both upgraded with STARTTLS" ||
    fail "not both rows say STARTTLS"
tui_wait 'AUTH +[0-9]+ ms +as ' || return
tui_shot 5l-test-starttls-both
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null
