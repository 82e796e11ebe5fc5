# test-discovery.sh -- discovery finds real servers when there are some:
# MC_DISCOVER_PORTS points the guesses for ann@localhost at the bed's
# self-signed Dovecot and aiosmtpd, the probes confirm TLS without logging
# in, and the servers form comes pre-filled with where each came from.
# Esc while probes hang (a stalled server) returns at once.

tui_fresh_xdg
T_ENV="export MC_DISCOVER_PORTS=imaps=$IMAPS_SELF_PORT,imap=$IMAP_SELF_PORT,smtps=$SMTPS_PORT,submission=$SUBMISSION_PORT"
tui_start setup --account tui-disc
tui_wait 'Email address' || return
tui_type 'ann@localhost'
tui_keys Enter
tui_wait 'IMAP +localhost:'"$IMAPS_SELF_PORT"' imaps' 20 || return
tui_wait 'SMTP +localhost:'"$SMTPS_PORT"' smtps' || return
tui_wait 'guess; TLS works; its certificate is not trusted' || return
tui_shot 2b-discovery-found
pass "guesses probed: IMAP and SMTP found, TLS confirmed, nothing sent"
tui_keys Enter
tui_wait "Host +localhost +Port +$IMAPS_SELF_PORT" || return
tui_wait "Host +localhost +Port +$SMTPS_PORT" || return
tui_wait 'from guess; TLS works' || return
tui_shot 3b-servers-discovered
pass "the servers form is filled from discovery"

# A guess that never answers: the spinner runs; Esc is back at once.
fake_start imap-stall || return
T_ENV="export MC_DISCOVER_PORTS=imaps=$FAKE_PORT,imap=$FAKE_PORT,smtps=$FAKE_PORT,submission=$FAKE_PORT"
tui_start setup --account tui-disc
tui_wait 'Email address' || return
tui_type 'ann@localhost'
tui_keys Enter
tui_wait 'probes +[0-9.]+ m?s +connecting to' 10 || return
tui_moves 'Esc or Skip stops' 2 || return
tick; t0=$NOW
tui_keys Escape
tui_wait 'Email address +ann@localhost' 2 || return
tick
[ $(( NOW - t0 )) -lt 1000 ] && pass "Esc left discovery in $(( NOW - t0 )) ms" ||
    fail "Esc took $(( NOW - t0 )) ms"
fake_stop
