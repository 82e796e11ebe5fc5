/*
 * events.h -- the one contract between engine threads and the UI thread.
 *
 * Engine threads (slots, sync, wizard probes, discovery) never call ncurses;
 * the UI thread never does network, keyring or disk-heavy I/O.  Everything
 * the engine wants shown travels as a struct event through an event_queue:
 *
 *   engine thread: ev = event_new(TYPE); fill; events_post(q, ev);
 *                  (ownership of ev and every pointer in it passes to q)
 *   UI thread:     poll() on events_wake_fd(q); while ((ev = events_next(q)))
 *                  { mark dirty; event_free(ev); }   (the UI owns what it pops)
 *
 * events_post() is safe from any thread and never blocks on the UI.  The wake
 * fd becomes readable when something was posted; events_next() drains it.
 *
 * The certificate prompt is the one request that waits for an answer:
 * events_trust_prompt() is a trust_prompt_fn (certstore.h) for engine
 * threads.  It posts EV_CERT_PROMPT whose data is a struct trust_wait and
 * blocks until the UI calls trust_wait_answer() (exactly once), or the queue
 * shuts down (answer: reject).  Until then nothing more is sent to that
 * server.  The UI may keep the trust_wait after freeing the event: it stays
 * valid until answered, and must not be touched after events_shutdown().
 */
#ifndef MC_EVENTS_H
#define MC_EVENTS_H

#include <stdint.h>

#include "util.h"
#include "certstore.h"

enum event_type {
	EV_SLOT_STATE,		/* id: slot number (1..5); name: role;
				   text: state ("fetching 10/200"); status:
				   enum slot_state; n/total: bytes in/out */
	EV_FOLDER_PROGRESS,	/* name: folder (UTF-8); n/total: messages
				   done/total; status: 0 run, 1 done, -1 err;
				   text: error */
	EV_FOLDER_LIST,		/* data: NULL-terminated char ** of folders */
	EV_LOG,			/* status: mc_log_level; text: line */
	EV_CERT_PROMPT,		/* data: struct trust_wait * (not freed by
				   event_free; see above) */
	EV_TASK_STEP,		/* id: task; status: enum step_status;
				   name: step; text: detail; n: millisecs */
	EV_TASK_DONE,		/* id: task; status: 0 ok / -1 failed; err;
				   data: task-specific result (data_free) */
	EV_POOL,		/* n: usable slots; total: configured; text:
				   why the pool shrank */
	EV_TOTALS,		/* n: messages done; total: messages;
				   status: bytes/s */
	EV_ENGINE_STOPPED,	/* the engine finished a clean stop */
};

enum step_status { STEP_RUNNING, STEP_OK, STEP_WARN, STEP_FAIL, STEP_SKIP };

struct event {
	enum event_type	 type;
	char		*account;	/* may be NULL */
	int		 id;
	int		 status;
	uint64_t	 n;
	uint64_t	 total;
	char		*name;
	char		*text;
	struct mc_err	 err;
	void		*data;
	void		(*data_free)(void *);
	struct event	*next;		/* queue link, private */
};

struct event_queue;

struct event_queue *events_new(void);
/* Wakes every waiting trust prompt with "reject", then frees. */
void		 events_free(struct event_queue *);
int		 events_wake_fd(const struct event_queue *);

struct event	*event_new(enum event_type);
void		 event_free(struct event *);
void		 events_post(struct event_queue *, struct event *);
/* Convenience: post a formatted EV_LOG / EV_TASK_STEP. */
void		 events_post_step(struct event_queue *, int task, int status,
		     const char *name, long long ms, const char *fmt, ...)
		     __attribute__((format(printf, 6, 7)));
/* UI thread: next event or NULL; drains the wake fd when empty. */
struct event	*events_next(struct event_queue *);
/* Stop accepting events; pending prompts are rejected. */
void		 events_shutdown(struct event_queue *);

struct trust_wait;
/* A trust_prompt_fn: arg is the struct event_queue *. */
enum trust_answer events_trust_prompt(const struct trust_request *, void *);
/* UI thread: the request to show (valid until answered). */
const struct trust_request *trust_wait_request(const struct trust_wait *);
/* UI thread: answer once; wakes the engine thread. */
void		 trust_wait_answer(struct trust_wait *, enum trust_answer);

#endif
