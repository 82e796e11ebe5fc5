/*
 * addr.h -- header fields and address lists of a message (RFC 5322), for
 * `mailconn send -t`: who the recipients are, and which fields to drop.
 *
 * A message is raw bytes with LF or CRLF line ends.  Its header section
 * runs to the first empty line, or to the first line that is neither a
 * field ("Name: value", obsolete "Name : value" too) nor a continuation
 * (a line starting with SP or HTAB): that line starts the body, as in
 * Postfix.  A leading mbox "From " line is skipped.  Values are unfolded
 * (RFC 5322 2.2.3) before they are parsed.
 *
 * Address lists: mailboxes (a@b, Name <a@b>, "Doe, J." <a@b>, a@b (Name)),
 * groups (team: a@b, c@d; and undisclosed-recipients:;), comments wherever
 * white space may stand (nested, with quoted pairs), quoted local parts,
 * domain literals, UTF-8 (RFC 6532), and the obsolete forms senders still
 * produce: routes (<@x,@y:a@b>), empty elements (a@b,,c@d), dots in names
 * (John Q. Public <jqp@x>), white space inside an addr-spec.  RFC 2047
 * encoded words in names are kept as they are: only the mailbox matters
 * for sending.  A mailbox without a domain ("root") is an error: there is
 * no local delivery to qualify it for.
 */
#ifndef MC_ADDR_H
#define MC_ADDR_H

#include <stddef.h>

#include "util.h"

struct addr {
	/*
	 * local@domain as SMTP takes it (RFC 5321 4.1.2): the local part
	 * bare when it is a dot-atom, else quoted with \ before " and \.
	 */
	char		*mailbox;
	char		*name;	/* display name, or a comment; or NULL */
};

/* Zero-initialise; addr_list_free() empties it again. */
struct addr_list {
	struct addr	*v;
	size_t		 n;
	size_t		 size;		/* allocated */
};

/*
 * Parse an address list and append its mailboxes (group members, not the
 * groups) to list.  0, or -1 with err (MCE_USAGE) saying what is wrong and
 * where; then nothing was appended.  An empty list is fine (0, none).
 */
int	 addr_parse(const char *text, struct addr_list *, struct mc_err *);
/* Append one mailbox (copied; name may be NULL). */
void	 addr_list_add(struct addr_list *, const char *mailbox,
	     const char *name);
/* Drop later duplicates (mailboxes equal ignoring case); how many went. */
size_t	 addr_list_dedup(struct addr_list *);
void	 addr_list_free(struct addr_list *);

/* One header field, pointing into the message. */
struct addr_field {
	const char	*name;		/* not NUL-terminated */
	size_t		 namelen;
	const char	*value;		/* after the colon, still folded */
	size_t		 valuelen;	/* without the final line end */
	size_t		 start;		/* offset of its first byte */
	size_t		 end;		/* offset after its last EOL */
	int		 line;		/* 1-based line of its start */
};

/*
 * The next field of msg's header section from *pos (start with 0).  1: one
 * was found and *pos moved past it; 0: the header section ended.
 */
int	 addr_field_next(const char *msg, size_t len, size_t *pos,
	     struct addr_field *);
/* 1 when the field's name is name (ASCII case ignored). */
int	 addr_field_is(const struct addr_field *, const char *name);
/* The value without folding line breaks (CR and LF dropped); caller frees. */
char	*addr_unfold(const char *value, size_t len);

/*
 * Parse every field named in names (NULL-terminated, case ignored) and
 * append their mailboxes to list.  Returns the number of such fields, or -1
 * with err naming the field and its line.
 */
int	 addr_fields_parse(const char *msg, size_t len,
	     const char *const *names, struct addr_list *, struct mc_err *);
/*
 * Remove every field named in names from msg in place (continuation lines
 * included); returns the new length.  The body is never touched.
 */
size_t	 addr_fields_remove(char *msg, size_t len,
	     const char *const *names);

#endif
