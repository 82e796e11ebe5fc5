/*
 * events.c -- engine -> UI event queue with a wake pipe, and the blocking
 * certificate prompt.  Contract in events.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

struct trust_wait {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 answered;
	enum trust_answer	 answer;
	struct trust_request	 req;	/* the engine's, valid while waiting */
	struct trust_wait	*next;	/* pending list of the queue */
};

struct event_queue {
	pthread_mutex_t		 lock;
	struct event		*head, *tail;
	int			 wake[2];
	int			 shut;
	struct trust_wait	*pending;
};

struct event_queue *
events_new(void)
{
	struct event_queue	*q = xcalloc(1, sizeof *q);
	int			 i;

	pthread_mutex_init(&q->lock, NULL);
	if (pipe2(q->wake, O_CLOEXEC | O_NONBLOCK) == -1)
		fatalx("events: pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		if (q->wake[i] >= 1024)	/* libetpan's select() elsewhere */
			fatalx("events: descriptor %d too high", q->wake[i]);
	}
	return q;
}

static void
trust_wait_settle(struct trust_wait *w, enum trust_answer answer)
{
	pthread_mutex_lock(&w->lock);
	if (!w->answered) {
		w->answered = 1;
		w->answer = answer;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

void
events_shutdown(struct event_queue *q)
{
	struct trust_wait	*w;

	pthread_mutex_lock(&q->lock);
	q->shut = 1;
	for (w = q->pending; w != NULL; w = w->next)
		trust_wait_settle(w, TRUST_REJECT);
	pthread_mutex_unlock(&q->lock);
}

void
events_free(struct event_queue *q)
{
	struct event	*ev;

	if (q == NULL)
		return;
	events_shutdown(q);
	while ((ev = q->head) != NULL) {
		q->head = ev->next;
		event_free(ev);
	}
	close(q->wake[0]);
	close(q->wake[1]);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int
events_wake_fd(const struct event_queue *q)
{
	return q->wake[0];
}

struct event *
event_new(enum event_type type)
{
	struct event	*ev = xcalloc(1, sizeof *ev);

	ev->type = type;
	return ev;
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	free(ev->account);
	free(ev->name);
	free(ev->text);
	if (ev->data != NULL && ev->data_free != NULL)
		ev->data_free(ev->data);
	free(ev);
}

void
events_post(struct event_queue *q, struct event *ev)
{
	char	 c = 1;

	pthread_mutex_lock(&q->lock);
	if (q->shut) {
		pthread_mutex_unlock(&q->lock);
		event_free(ev);
		return;
	}
	ev->next = NULL;
	if (q->tail != NULL)
		q->tail->next = ev;
	else
		q->head = ev;
	q->tail = ev;
	pthread_mutex_unlock(&q->lock);
	/* A full pipe already means "wake up", so a failed write is fine. */
	if (write(q->wake[1], &c, 1) == -1)
		return;
}

void
events_post_step(struct event_queue *q, int task, int status,
    const char *name, long long ms, const char *fmt, ...)
{
	struct event	*ev = event_new(EV_TASK_STEP);
	va_list		 ap;

	ev->id = task;
	ev->status = status;
	ev->name = xstrdup(name);
	ev->n = ms < 0 ? 0 : (uint64_t)ms;
	if (fmt != NULL) {
		va_start(ap, fmt);
		ev->text = xvasprintf(fmt, ap);
		va_end(ap);
	}
	events_post(q, ev);
}

struct event *
events_next(struct event_queue *q)
{
	struct event	*ev;
	char		 buf[256];

	pthread_mutex_lock(&q->lock);
	ev = q->head;
	if (ev != NULL) {
		q->head = ev->next;
		if (q->head == NULL)
			q->tail = NULL;
		ev->next = NULL;
	} else {
		while (read(q->wake[0], buf, sizeof buf) > 0)
			;
	}
	pthread_mutex_unlock(&q->lock);
	return ev;
}

enum trust_answer
events_trust_prompt(const struct trust_request *req, void *arg)
{
	struct event_queue	*q = arg;
	struct trust_wait	*w = xcalloc(1, sizeof *w), **pp;
	struct event		*ev;
	enum trust_answer	 answer;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->req = *req;

	pthread_mutex_lock(&q->lock);
	if (q->shut) {
		pthread_mutex_unlock(&q->lock);
		answer = TRUST_REJECT;
		goto out;
	}
	w->next = q->pending;
	q->pending = w;
	pthread_mutex_unlock(&q->lock);

	ev = event_new(EV_CERT_PROMPT);
	ev->account = req->account != NULL ? xstrdup(req->account) : NULL;
	ev->name = xasprintf("%s:%d", req->host, req->port);
	ev->data = w;		/* no data_free: the waiter owns it */
	events_post(q, ev);

	pthread_mutex_lock(&w->lock);
	while (!w->answered)
		pthread_cond_wait(&w->cond, &w->lock);
	answer = w->answer;
	pthread_mutex_unlock(&w->lock);

	pthread_mutex_lock(&q->lock);
	for (pp = &q->pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&q->lock);
out:
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return answer;
}

const struct trust_request *
trust_wait_request(const struct trust_wait *w)
{
	return &w->req;
}

void
trust_wait_answer(struct trust_wait *w, enum trust_answer answer)
{
	trust_wait_settle(w, answer);
}
