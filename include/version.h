/*
 * version.h -- the version mailconn reports (IMAP ID, --version).
 */
#ifndef MC_VERSION_H
#define MC_VERSION_H

#define MC_VERSION "0.1.0"

#endif
