# test-wizard.sh -- the whole wizard at 80x24 against Dovecot with a
# self-signed certificate (and aiosmtpd, whose CA this machine does not
# know): both certificate prompts, "accept always", save.  Then: the config
# is written, both passwords are in the real keyring, both pins are in
# known_certs; a second run for another account on the same servers gets no
# prompt.  The password goes in as a bracketed paste with a trailing
# newline (a password manager's), which must not press Enter.
# Screenshots of every step and of the prompt go to $SHOTS.

tui_fresh_xdg
ACC=tui-wiz
kr_clear $ACC
kr_clear $ACC-2
CONF=$XDG_CONFIG_HOME/mailconn/accounts.conf
PINS=$XDG_DATA_HOME/mailconn/known_certs

tui_start setup

# 1 Who
tui_wait 'Email address' || return
tui_type "$MC_USER"
tui_wait 'looks like an address' || return
tui_keys Tab
tui_type 'Ann Example'
tui_keys Tab C-u
tui_type "$ACC"
tui_shot 1-who
tui_keys Enter

# 2 Discovery: example.test has no SRV, is in no table, and guesses fail.
tui_wait 'Looking for the servers of example.test' || return
tui_wait 'Nothing found' 20 || return
tui_shot 2-discovery
pass "discovery finds nothing for example.test and says that is fine"
tui_keys Enter

# 3 Servers
tui_wait 'IMAP, to read mail' || return
tui_type localhost
tui_keys Tab C-u
tui_type "$IMAPS_SELF_PORT"
tui_keys Tab Tab
tui_type localhost
tui_keys Tab C-u
tui_type "$SMTPS_PORT"
tui_keys Tab Tab
tui_wait "User name +$MC_USER" || return
tui_shot 3-servers
tui_keys Enter

# 4 Password, pasted
tui_wait 'Password for' || return
tui_wait 'desktop keyring' || return
tmx set-buffer -b pw "$MC_PASS
"
tmx paste-buffer -p -d -b pw -t mc
tui_wait 'Password +•{16}$' || return
tui_screen | grep -Fq "$MC_PASS" && fail "the password is visible"
tui_screen | grep -q 'step 4 of 7' || fail "the pasted newline pressed Enter"
tui_shot 4-password
tui_keys Enter

# 5 Test: the IMAP prompt, then the SMTP prompt.
tui_wait 'Certificate: imap localhost' 15 || return
tui_wait 'self-signed certificate' || return
tui_wait 'SHA-256 cert' || return
tui_shot 5a-prompt-imap
# The checklist behind says what is waited for (the modal covers it; the
# row is drawn again once answered).
tui_keys a
tui_wait 'Certificate: smtp localhost' 15 || return
tui_wait 'issued by an unknown authority' || return
tui_shot 5b-prompt-smtp
tui_keys a
tui_wait 'All good' 15 || return
tui_wait 'certificate +[0-9.]+ m?s +you accepted it always' || return
tui_wait 'folders +[0-9]+ ms +[0-9]+ folders; Sent is "Sent"' || return
tui_wait 'AUTH +[0-9]+ ms +as ' || return
tui_shot 5c-test-passed
pass "live test: every IMAP and SMTP row ticked"
# Nothing is on disk before step 7.
assert_no_file "$CONF" "no config before saving"
assert_no_file "$PINS" "no pin before saving"
tui_keys Enter

# 6 Folders
tui_wait 'Folders to download' || return
tui_wait 'INBOX +\(inbox\)' || return
tui_wait 'Sent +\(sent\)' || return
tui_shot 6-folders
tui_keys Enter

# 7 Save
tui_wait 'Ready to save' || return
tui_wait 'Certificates +2 to pin' || return
tui_shot 7a-review
tui_keys Enter
tui_wait 'is set up' 15 || return
tui_shot 7b-done
tui_keys Enter
rc=$(tui_exit)
[ "$rc" = 0 ] && pass "exit status 0 after saving" || fail "exit status $rc"

assert_file_has "$CONF" "^\[account $ACC\]" "config has the account"
assert_file_has "$CONF" "^imap-port += $IMAPS_SELF_PORT" "config has the IMAP port"
assert_file_has "$CONF" "^smtp-port += $SMTPS_PORT" "config has the SMTP port"
assert_file_has "$CONF" "^name += Ann Example" "config has the name"
if grep -Fq "$MC_PASS" "$CONF"; then fail "the password is in the config"; fi
[ "$(kr_lookup $ACC imap)" = "$MC_PASS" ] && pass "IMAP password in the keyring" ||
    fail "IMAP password not in the keyring"
[ "$(kr_lookup $ACC smtp)" = "$MC_PASS" ] && pass "SMTP password in the keyring" ||
    fail "SMTP password not in the keyring"
assert_file_has "$PINS" "^localhost:$IMAPS_SELF_PORT [0-9a-f]{64} " "IMAP pin stored"
assert_file_has "$PINS" "^localhost:$SMTPS_PORT [0-9a-f]{64} " "SMTP pin stored"

# Again, another account on the same servers: the pins answer, no prompt.
tui_start setup --email "$MC_USER" --account $ACC-2 \
    --imap localhost:$IMAPS_SELF_PORT --smtp localhost:$SMTPS_PORT
tui_wait 'Email address' || return
tui_keys Enter
tui_wait 'Looking for the servers' || return
tui_wait 'Nothing found' 20 || return
tui_keys Enter
tui_wait 'IMAP, to read mail' || return
tui_wait "Host +localhost +Port +$IMAPS_SELF_PORT" || return
tui_keys Enter
tui_wait 'Password for' || return
tui_type "$MC_PASS"
tui_keys Enter
tui_wait 'All good|Certificate:|✗' 15 || return
if tui_screen | grep -q 'All good'; then
	pass "second run: no certificate prompt"
else
	fail "second run: $(tui_screen | grep -E 'Certificate:|✗' | head -1)"
fi
tui_wait 'certificate +[0-9]+ ms +pinned earlier' || return
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
rc=$(tui_exit)
[ "$rc" = 1 ] && pass "quitting exits 1" || fail "quit: exit status $rc"
if grep -q "^\[account $ACC-2\]" "$CONF"; then fail "quitting saved $ACC-2"; fi
kr_clear $ACC
kr_clear $ACC-2
