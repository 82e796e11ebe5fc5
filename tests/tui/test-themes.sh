# test-themes.sh -- every shipped theme loads and is what the screen shows
# (the title bar's colours, read with capture-pane -e); NO_COLOR means
# mono whatever was asked; `[ui] theme =` in the account file is used; a
# broken theme file is reported with its file:line and mailconn still runs
# with the default; an unknown theme name says where it looked.

tui_fresh_xdg
# theme -> a piece of the title bar's SGR that only that theme makes
declare -A TITLE=(
	[default]='\[97m.\[44m'
	[dark]='38;5;255m.\[48;5;24m'
	[light]='38;5;255m.\[48;5;25m'
	[high-contrast]='\[30m.\[103m'
	[mono]='\[1;7m mailconn'
)
n=0
for f in "$MC_ROOT"/themes/*.theme; do
	th=$(basename "$f" .theme)
	n=$((n + 1))
	tui_start setup --theme "$th"
	tui_wait 'Email address' || return
	if tui_screen | grep -q 'theme:'; then
		fail "$th: $(tui_screen | grep 'theme:')"
		continue
	fi
	tui_keys F1
	tui_wait "theme: $th  " || return
	tui_wait "from $MC_ROOT/themes/$th.theme" || return
	want=${TITLE[$th]:-}
	if [ -z "$want" ]; then
		pass "$th loads (no colour check for it)"
	elif tui_screen_sgr | head -1 | grep -q -- "$want"; then
		pass "$th loads and colours the title bar"
	else
		fail "$th: title bar is $(tui_screen_sgr | head -1 | cat -v | cut -c1-60)"
	fi
	[ "$th" = dark ] && tui_shot theme-dark-help
done
[ $n -ge 5 ] && pass "$n themes shipped" || fail "only $n themes shipped"

# NO_COLOR wins over --theme.
T_ENV='export NO_COLOR=1'
tui_start setup --theme dark
tui_wait 'Email address' || return
tui_keys F1
tui_wait 'theme: mono' || return
tui_screen_sgr | grep -q '38;5\|\[4[0-7]m' && fail "NO_COLOR still shows colours"
pass "NO_COLOR: mono"
T_ENV=

# [ui] theme = in the account file.
mkdir -p "$XDG_CONFIG_HOME/mailconn"
printf '[ui]\ntheme = light\n' > "$XDG_CONFIG_HOME/mailconn/accounts.conf"
tui_start setup
tui_wait 'Email address' || return
tui_keys F1
tui_wait 'theme: light' || return
pass "[ui] theme = light is used"
rm -f "$XDG_CONFIG_HOME/mailconn/accounts.conf"

# A broken theme: its file:line, and the wizard works with the default.
mkdir -p "$XDG_CONFIG_HOME/mailconn/themes"
B=$XDG_CONFIG_HOME/mailconn/themes/broken.theme
printf '# mine\ntitle = white on blue\nerror = reddish bold\n' > "$B"
tui_start setup --theme broken
tui_wait_joined "Using the default theme: .*/broken.theme:3: 'reddish' is not a colour" || return
tui_shot theme-broken
pass "broken theme: file:line on screen"
tui_type "$MC_USER"
tui_wait 'looks like an address' || return
tui_keys F1
tui_wait 'theme: default' || return
pass "and mailconn runs on with the default theme"

# An unknown name says where it looked.
tui_start setup --theme no-such
tui_wait "no theme named 'no-such'" || return
pass "unknown theme: says so"

# `?` opens the help where no text field has the focus; in one it is text.
tui_start setup
tui_wait 'Email address' || return
tui_type 'a?b'
tui_wait 'Email address +a\?b' || return
tui_keys Tab Tab Tab
tui_type '?'
tui_wait 'Setup 1/7: who you are' || return
tui_wait 'Esc +back one step' || return
tui_shot help-who
pass "? shows the keys of the screen (outside text fields)"
