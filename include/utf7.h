/*
 * utf7.h -- IMAP modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8.
 * Both return a new string, or NULL when the input is not valid.
 */
#ifndef MC_UTF7_H
#define MC_UTF7_H

char	*utf7_to_utf8(const char *);
char	*utf8_to_utf7(const char *);

#endif
