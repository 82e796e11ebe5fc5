# test-nokeyring.sh -- no Secret Service (the session bus points nowhere):
# the password step says so and why, a password command is required, the
# account is saved with password-command and nothing goes to the keyring.
# Also unticks a folder: the config gets the pattern sync.c reads.

tui_fresh_xdg
ACC=tui-nokr
kr_clear $ACC
printf '%s\n' "$MC_PASS" > "$T_DIR/pw"
chmod 600 "$T_DIR/pw"
T_ENV="export DBUS_SESSION_BUS_ADDRESS=unix:path=$T_DIR/no-bus"
tui_start setup --email "$MC_USER" --account $ACC --imap localhost:$IMAPS_SELF_PORT
tui_wait 'Email address' || return
tui_keys Enter
tui_wait 'step 2 of 7' || return
tui_wait '\[ (Skip|Next) \]' || return
tui_keys Enter
tui_wait 'IMAP, to read mail' || return
tui_keys Enter
tui_wait 'no usable keyring here' 10 || return
tui_wait_joined 'no Secret Service is running' || return
tui_wait 'required here' || return
tui_shot 4b-password-no-keyring
pass "the password step says there is no keyring, and why"
tui_type "$MC_PASS"
tui_keys Enter
tui_wait 'No keyring here: give a password command' || return
tui_type "cat $T_DIR/pw"
tui_keys Enter
tui_wait 'Certificate: imap' 15 || return
tui_keys o
tui_wait 'All good' 15 || return
tui_keys Enter
tui_wait 'Folders to download' || return
tui_keys Down Down Down
tui_wait '^  \[✓\] Junk' || return
tui_keys Space
tui_wait '^  \[ \] Junk' || return
tui_keys Enter
tui_wait_joined "Password +from \`cat .*\` \(not stored\): there is no keyring" || return
tui_wait 'Folders +\* !Junk' || return
tui_keys Enter
tui_wait 'is set up' 15 || return
tui_wait 'keyring: imap +[0-9]+ ms +not used: the password comes from' || return
tui_keys Enter
rc=$(tui_exit)
[ "$rc" = 0 ] && pass "saved" || fail "exit status $rc"
C=$XDG_CONFIG_HOME/mailconn/accounts.conf
assert_file_has "$C" "^password-command += cat $T_DIR/pw\$" "config has the password command"
assert_file_has "$C" '^folders += \* !Junk$' "config has the folder pattern"
if grep -Fq "$MC_PASS" "$C"; then fail "the password is in the config"; fi
[ -z "$(kr_lookup $ACC imap)" ] && pass "nothing in the keyring" ||
    fail "a keyring item appeared"
