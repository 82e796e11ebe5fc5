# mailconn -- see README.md.  `make demo` and `make test` are the two
# set-up commands; both install missing Debian packages first.

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
MANDIR	 = $(PREFIX)/share/man
DATADIR	 = $(PREFIX)/share/mailconn

BUILD	?= build
CC	?= cc
OPT	?= -O2 -g
SAN	?=

# Lazy (=): evaluated when a recipe runs, after `deps` installed pkg-config's
# .pc files on a fresh machine.  libetpan's own .pc injects a dpkg specs file
# that breaks the build where libdpkg-perl is absent, so it is linked by hand.
PKGS	 = ncursesw openssl libsecret-1 sqlite3
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

CPPFLAGS += -D_GNU_SOURCE -Iinclude -DMC_DATADIR='"$(DATADIR)"'
CFLAGS	 += -std=c11 -Wall -Wextra -Werror $(OPT) $(SAN)
LDFLAGS	 += $(SAN)
LDLIBS	 += -letpan $(PKG_LIBS) -lresolv -lpthread

SRCS	 = $(wildcard src/*.c)
LIB_OBJS = $(patsubst src/%.c,$(BUILD)/%.o,$(filter-out src/main.c,$(SRCS)))
UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# C programs the integration scripts run against the test bed.
ITEST_SRCS = $(wildcard tests/integration/t-*.c)
ITEST_BINS = $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRCS))

# Debian packages: to build, and to run the test bed and the demo.
BUILD_DEBS = build-essential pkg-config libetpan-dev libncurses-dev \
	libssl-dev libsecret-1-dev libsqlite3-dev libglib2.0-dev
TEST_DEBS = libcmocka-dev dovecot-imapd dovecot-submissiond \
	python3-aiosmtpd gnome-keyring dbus dbus-daemon libsecret-tools \
	tmux openssl sqlite3 isync neomutt libsasl2-modules procps
SUDO	 = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: FORCE all deps deps-test test unit-test integration-test tui-test \
	check-asan demo install uninstall clean bench

all: deps $(BUILD)/mailconn

# Install only what is missing; quiet when everything is there.
define install_missing
	@if command -v dpkg-query >/dev/null 2>&1; then \
		missing=$$(for p in $(1); do \
			dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q 'install ok installed' || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "installing Debian packages:" $$missing; \
			$(SUDO) apt-get update -qq && \
			$(SUDO) env DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq $$missing; \
		fi; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_DEBS))

deps-test: deps
	$(call install_missing,$(TEST_DEBS))

$(BUILD)/%.o: src/%.c include/*.h $(BUILD)/datadir | $(BUILD)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)/tests $(BUILD)/itests

# Objects embed DATADIR (themes); rebuild when PREFIX changes.
$(BUILD)/datadir: FORCE | $(BUILD)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@

FORCE:

$(BUILD)/itests/%: tests/integration/%.c $(BUILD)/libmailconn.a include/*.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libmailconn.a $(LDLIBS)

$(BUILD)/libmailconn.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/mailconn: $(BUILD)/main.o $(BUILD)/libmailconn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmailconn.a include/*.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libmailconn.a -lcmocka $(LDLIBS)

unit-test: deps-test $(BUILD)/mailconn $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration-test: deps-test $(BUILD)/mailconn $(ITEST_BINS)
	@MAILCONN=$(abspath $(BUILD)/mailconn) ITESTS=$(abspath $(BUILD)/itests) \
		tests/integration/run.sh

tui-test: deps-test $(BUILD)/mailconn
	@if [ -x tests/tui/run.sh ]; then \
		MAILCONN=$(abspath $(BUILD)/mailconn) tests/tui/run.sh; fi

test: unit-test integration-test tui-test

# Every test again with AddressSanitizer + UBSan (leaks included); the only
# suppressions are for leaks inside libetpan (tests/lsan.supp).
check-asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' \
		test

demo: deps-test $(BUILD)/mailconn
	@MAILCONN=$(abspath $(BUILD)/mailconn) tests/testbed/demo.sh

bench: deps-test $(BUILD)/mailconn
	@MAILCONN=$(abspath $(BUILD)/mailconn) bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/themes
	install -m 755 $(BUILD)/mailconn $(DESTDIR)$(BINDIR)/mailconn
	install -m 644 man/mailconn.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/mailconn.conf.5 $(DESTDIR)$(MANDIR)/man5/
	for f in themes/*.theme; do [ -e "$$f" ] || continue; \
		install -m 644 "$$f" $(DESTDIR)$(DATADIR)/themes/; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailconn $(DESTDIR)$(MANDIR)/man1/mailconn.1 \
		$(DESTDIR)$(MANDIR)/man5/mailconn.conf.5
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan
