# test-changed.sh -- CERTIFICATE CHANGED: a pin for the server with another
# key.  The prompt says so with both fingerprints; Enter (the default) and
# Esc reject; accepting needs the word "accept" typed; nothing is saved
# when the person then quits (the old pin stays as it was).

tui_fresh_xdg
PINS=$XDG_DATA_HOME/mailconn/known_certs
mkdir -p "$(dirname "$PINS")"
Z=$(printf '%064d' 0)
printf 'localhost:%s %s %s 2024-01-02T03:04:05Z CN=localhost\n' \
    "$IMAPS_SELF_PORT" "$Z" "$Z" > "$PINS"
chmod 600 "$PINS"
cp "$PINS" "$T_DIR/pins.before"

wiz_prefilled tui-changed "$MC_PASS" --imap localhost:$IMAPS_SELF_PORT || return
tui_wait 'CERTIFICATE CHANGED for imap localhost' 15 || return
tui_wait 'pinned this server.s key on 2024-01-02' || return
tui_wait 'Pinned key +0000 0000 0000' || return
tui_wait 'Key now +[0-9a-f]{4} ' || return
tui_shot 5i-prompt-changed
pass "the CHANGED prompt shows the date and both keys"
tui_keys Enter
tui_wait '✗ certificate .*CHANGED certificate' 10 || return
tui_wait '^  The CHANGED certificate of localhost:[0-9]+ was rejected' || return
pass "Enter on the CHANGED prompt rejects (the default)"
tui_keys r
tui_wait 'CERTIFICATE CHANGED' 15 || return
tui_keys a
tui_wait 'type accept and press Enter' || return
tui_type yes
tui_keys Enter
tui_wait 'Type the word accept' || return
tui_wait 'CERTIFICATE CHANGED' || return
pass "accepting needs the word: 'yes' is not enough"
tui_keys C-u
tui_type accept
tui_shot 5j-prompt-changed-confirm
tui_keys Enter
tui_wait 'All good|✗' 15 || return
tui_wait 'certificate +[0-9.]+ m?s +you accepted it always: pinned when you save' || return
pass "typed accept: the test goes on"
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null
cmp -s "$PINS" "$T_DIR/pins.before" && pass "quit: the old pin is untouched" ||
    fail "known_certs changed though nothing was saved"
