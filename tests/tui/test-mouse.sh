# test-mouse.sh -- mouse clicks on fields, options and buttons; changing
# the security suggests its port (993 <-> 143), unless the person typed
# their own.  Also UTF-8 editing: Backspace and ^W remove characters and
# words, not bytes.

tui_fresh_xdg
tui_start setup
tui_wait 'Email address' || return
tui_click 10 25				# "Your name"
tui_type 'Ann'
tui_click 7 25				# "Email address"
tui_type "$MC_USER"
tui_wait 'Your name +Ann$' || return
tui_wait "Email address +$MC_USER" || return
pass "clicks focus the fields"
tui_click 10 25
tui_keys C-u
tui_type 'Jörg Ünal ✓'
tui_keys BSpace BSpace
tui_wait 'Your name +Jörg Ünal$' || return
tui_keys C-w
tui_wait 'Your name +Jörg$' || return	# ("Jörg ": capture trims the blank)
tui_keys Home
tui_type 'Σ'
tui_keys End BSpace
tui_wait 'Your name +ΣJörg$' || return
pass "UTF-8 editing: whole characters and words"
tui_click 21 32				# [ Next ]
tui_wait 'Looking for the servers' || return
pass "a click presses a button"
tui_wait '\[ Next \]' 20 || return
tui_keys Enter
tui_wait 'IMAP, to read mail' || return
tui_click 5 33				# IMAP security: ( ) starttls
tui_wait 'Security +\( \) imaps +\(•\) starttls' || return
tui_wait 'Host +Port 143$' || return
pass "clicking starttls picks it and suggests port 143"
tui_keys Left
tui_wait 'Host +Port 993$' || return
pass "back to imaps: port 993"
tui_click 4 73				# the port field
tui_keys C-u
tui_type 1993
tui_click 5 22				# ( ) imaps
tui_wait '\(•\) imaps +\( \) starttls' || return
tui_wait 'Port 1993$' || return
pass "a port the person typed is kept"
