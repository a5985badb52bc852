/* The event loop's wait, with media read and forwarded inside it (media_selector.py installs
 * it). Part of _packet_io.
 *
 * At two participants the relay wakes ~190 times a second for ~285 datagrams, and on a VM
 * the Python an asyncio wake-up runs (the selector's select, the ready handle, the reader's
 * callback) costs more than forwarding the packets. Here a wake-up for a media socket whose
 * datagrams the compiled receiver takes stays in C and waits again; Python's loop sees only
 * the other sockets' events, the datagrams the receiver gave back, and its timers on time. */
#include "_packet_io.h"

#ifdef __linux__
#include <errno.h>
#include <math.h>
#include <sys/epoll.h>

#define WAIT_EVENTS 64

static double
monotonic_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int appended = PyList_Append(list, item);
    Py_DECREF(item);
    return appended;
}

/* The takers asked for during one wait_media call, by descriptor: between two of its
 * wake-ups only the compiled receiver runs, so what a provider returned stays right until
 * Python's loop runs again (a new DTLS session, a renegotiation). */
#define TAKERS_KEPT 32
typedef struct {
    int count;
    int fds[TAKERS_KEPT];
    PyObject *takers[TAKERS_KEPT];
} takers_kept;

static void
forget_takers(takers_kept *kept)
{
    for (int i = 0; i < kept->count; i++)
        Py_DECREF(kept->takers[i]);
    kept->count = 0;
}

/* fd's taker (a new reference): kept, or provider() asked (and kept); NULL if it raised */
static PyObject *
taker_for(int fd, PyObject *provider, takers_kept *kept)
{
    for (int i = 0; i < kept->count; i++)
        if (kept->fds[i] == fd)
            return Py_NewRef(kept->takers[i]);
    Py_INCREF(provider); /* the receiver may unregister the socket meanwhile */
    PyObject *taker = PyObject_CallNoArgs(provider);
    Py_DECREF(provider);
    if (taker != NULL && kept->count < TAKERS_KEPT) {
        kept->fds[kept->count] = fd;
        kept->takers[kept->count++] = Py_NewRef(taker);
    }
    return taker;
}

/* One media socket's event: the socket read with read_and_take by its taker ((take,
 * finish) or None); what Python must see appended to leftovers as (fd, taker, items or
 * exception). 1: something was, 0: the receiver took every datagram, -1: error. */
static int
read_media(int fd, PyObject *provider, PyObject *limit, PyObject *leftovers,
           takers_kept *kept)
{
    PyObject *fd_object = PyLong_FromLong(fd);
    if (fd_object == NULL)
        return -1;
    PyObject *taker = taker_for(fd, provider, kept);
    PyObject *outcome = NULL;
    int count = 0;
    if (taker != NULL) {
        PyObject *take = Py_None;
        if (PyTuple_Check(taker) && PyTuple_GET_SIZE(taker) > 0)
            take = PyTuple_GET_ITEM(taker, 0);
        outcome = read_and_take(fd_object, limit, take, &count);
    } else {
        taker = Py_NewRef(Py_None);
    }
    if (outcome == NULL && (outcome = take_exception()) == NULL) {
        Py_DECREF(fd_object);
        Py_DECREF(taker);
        return -1;
    }
    int handed = !(PyList_Check(outcome) && PyList_GET_SIZE(outcome) == 0);
    int failed = handed ? append_new(leftovers, PyTuple_Pack(3, fd_object, taker, outcome)) : 0;
    Py_DECREF(fd_object);
    Py_DECREF(taker);
    Py_DECREF(outcome);
    return failed < 0 ? -1 : handed;
}

/* Sleeps, without the GIL, what is left of interval since woke, but no later than
 * deadline (0: none); the milliseconds epoll_wait may then wait (-1: no limit). */
static int
paced(double interval, double woke, double timeout, double deadline, int milliseconds)
{
    double now = monotonic_now(), rest = woke + interval - now;
    if (interval <= 0 || milliseconds == 0 || rest <= 0)
        return milliseconds;
    if (timeout > 0 && rest > deadline - now)
        rest = deadline - now;
    struct timespec pause = {(time_t)rest, (long)((rest - (double)(time_t)rest) * 1e9)};
    Py_BEGIN_ALLOW_THREADS
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        ;
    Py_END_ALLOW_THREADS
    if (timeout <= 0)
        return milliseconds;
    double left = deadline - monotonic_now();
    return left > 0 ? (int)ceil(left * 1e3) : 0;
}

/* wait_media(epoll_fd, timeout, media, ready, scheduled, limit, interval, woke)
 *     -> (events, leftovers, woke)
 *
 * epoll_wait on the selector's epoll descriptor for at most timeout seconds (None: no
 * limit). media: {fd: provider} for the media sockets. events: [(fd, epoll mask)] for every
 * other descriptor, and a media socket's EPOLLOUT. leftovers: [(fd, taker, items)] (items as
 * receive_batch lists them, or the exception the read raised). Returns as soon as either is
 * not empty, the timeout is up, or the receiver scheduled something on the loop (ready, a
 * sized collection, not empty; scheduled, the loop's timer heap, grew or shrank); until
 * then, waits again. interval > 0 paces the waits: each starts no sooner than interval
 * seconds after the last one returned (woke, in CLOCK_MONOTONIC seconds; the last of them
 * is returned). */
PyObject *
wait_media(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8 || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "wait_media(epoll_fd, timeout, media: dict, ready, "
                                         "scheduled, limit, interval, woke)");
        return NULL;
    }
    int epoll_fd = PyLong_AsLong(args[0]);
    double timeout = args[1] == Py_None ? -1.0 : PyFloat_AsDouble(args[1]);
    double interval = PyFloat_AsDouble(args[6]), woke = PyFloat_AsDouble(args[7]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *media = args[2], *ready = args[3], *scheduled = args[4], *limit = args[5];
    Py_ssize_t scheduled_length = PyObject_Length(scheduled);
    if (scheduled_length < 0)
        return NULL;
    double deadline = timeout > 0 ? monotonic_now() + timeout : 0.0;
    takers_kept kept = {0};
    PyObject *events = PyList_New(0), *leftovers = PyList_New(0);
    if (events == NULL || leftovers == NULL)
        goto error;
    for (int first = 1;; first = 0) {
        int milliseconds = -1;
        if (timeout == 0 || (timeout > 0 && first)) {
            milliseconds = (int)ceil(timeout * 1e3);
        } else if (timeout > 0) {
            double rest = deadline - monotonic_now();
            if (rest <= 0)
                break;
            milliseconds = (int)ceil(rest * 1e3);
        }
        milliseconds = paced(interval, woke, timeout, deadline, milliseconds);
        struct epoll_event happened[WAIT_EVENTS];
        int count;
        Py_BEGIN_ALLOW_THREADS
        count = epoll_wait(epoll_fd, happened, WAIT_EVENTS, milliseconds);
        Py_END_ALLOW_THREADS
        woke = monotonic_now();
        if (count < 0) {
            if (errno != EINTR) {
                PyErr_SetFromErrno(PyExc_OSError);
                goto error;
            }
            if (PyErr_CheckSignals() < 0)
                goto error;
            continue;
        }
        for (int i = 0; i < count; i++) {
            int fd = happened[i].data.fd;
            uint32_t mask = happened[i].events;
            PyObject *fd_object = PyLong_FromLong(fd);
            if (fd_object == NULL)
                goto error;
            PyObject *provider = PyDict_GetItemWithError(media, fd_object);
            Py_DECREF(fd_object);
            if (provider == NULL) {
                if (PyErr_Occurred() ||
                    append_new(events, Py_BuildValue("(iI)", fd, (unsigned int)mask)) < 0)
                    goto error;
                continue;
            }
            if ((mask & EPOLLOUT) &&
                append_new(events, Py_BuildValue("(iI)", fd, (unsigned int)EPOLLOUT)) < 0)
                goto error;
            if ((mask & ~(uint32_t)EPOLLOUT) &&
                read_media(fd, provider, limit, leftovers, &kept) < 0)
                goto error;
        }
        if (count == 0 || timeout == 0 || PyList_GET_SIZE(events) > 0 ||
            PyList_GET_SIZE(leftovers) > 0)
            break;
        Py_ssize_t ready_length = PyObject_Length(ready);
        Py_ssize_t now_scheduled = PyObject_Length(scheduled);
        if (ready_length < 0 || now_scheduled < 0)
            goto error;
        if (ready_length > 0 || now_scheduled != scheduled_length)
            break;
    }
    forget_takers(&kept);
    return Py_BuildValue("(NNd)", events, leftovers, woke);
error:
    forget_takers(&kept);
    Py_XDECREF(events);
    Py_XDECREF(leftovers);
    return NULL;
}
#endif
