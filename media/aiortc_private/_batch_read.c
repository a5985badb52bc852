/* Every datagram queued on a media socket read with one recvmmsg, SRTP media handed to the
 * compiled receiver without a Python tuple (batch_receive.py installs it). Part of
 * _packet_io. */
#include "_packet_io.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* ---- batch receive: every datagram queued on a socket in one recvmmsg ------------ */
#ifdef __linux__ /* recvmmsg; elsewhere asyncio reads one datagram at a time */

#define BATCH_MAX 32
#define DATAGRAM_ROOM 65536 /* any UDP datagram: asyncio reads up to 256 KiB */

static unsigned char batch_buffers[BATCH_MAX][DATAGRAM_ROOM];

/* The address tuple socket.recvfrom gives: (host, port) or (host, port, flow, scope). */
static PyObject *
address_tuple(const struct sockaddr_storage *address)
{
    char host[INET6_ADDRSTRLEN];
    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)address;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)) == NULL)
            return PyErr_SetFromErrno(PyExc_OSError);
        return Py_BuildValue("(si)", host, ntohs(in->sin_port));
    }
    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)) == NULL)
            return PyErr_SetFromErrno(PyExc_OSError);
        return Py_BuildValue("(siII)", host, ntohs(in6->sin6_port),
                             (unsigned int)ntohl(in6->sin6_flowinfo),
                             (unsigned int)in6->sin6_scope_id);
    }
    Py_RETURN_NONE;
}

/* Reads what is queued on the non-blocking socket fd, at most limit (<= 32), into
 * batch_buffers: how many (0 when nothing is), or -1 with OSError set. */
static int
read_batch(PyObject *fd_object, PyObject *limit_object, struct mmsghdr *messages,
           struct sockaddr_storage *addresses)
{
    int fd = PyLong_AsLong(fd_object);
    long limit = PyLong_AsLong(limit_object);
    if (PyErr_Occurred())
        return -1;
    if (limit < 1 || limit > BATCH_MAX)
        limit = BATCH_MAX;
    struct iovec vectors[BATCH_MAX];
    memset(messages, 0, sizeof(messages[0]) * limit);
    for (long i = 0; i < limit; i++) {
        vectors[i].iov_base = batch_buffers[i];
        vectors[i].iov_len = DATAGRAM_ROOM;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &addresses[i];
        messages[i].msg_hdr.msg_namelen = sizeof(addresses[i]);
    }
    int count = recvmmsg(fd, messages, (unsigned int)limit, MSG_DONTWAIT, NULL);
    if (count < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return count;
}

/* (data, address, result) for datagram i of the last read_batch */
static PyObject *
batch_item(int i, const struct mmsghdr *messages, const struct sockaddr_storage *addresses,
           PyObject *data, PyObject *result)
{
    PyObject *address = address_tuple(&addresses[i]);
    if (address == NULL)
        return NULL;
    if (data == NULL)
        return Py_BuildValue("(y#NO)", (const char *)batch_buffers[i],
                             (Py_ssize_t)messages[i].msg_len, address, result);
    return Py_BuildValue("(ONO)", data, address, result);
}

/* Datagrams read by read_and_take in this process: [reads, datagrams] (batch_counts). */
static unsigned long long batch_reads_made, batch_datagrams_read;

/* What is queued on the non-blocking socket fd, at most limit (<= 32), read with one
 * recvmmsg (OSError as recvfrom). Unless take is None, each SRTP media datagram (first
 * byte 128-191, second not an RTCP type 192-208) goes to take(data); one it takes (take
 * returns None) is not listed: no tuple or address is made for it. The rest are listed as
 * (data, address, result), result None (not offered), what take returned, or the
 * exception take raised. *count: datagrams read. NULL with an exception set on failure. */
PyObject *
read_and_take(PyObject *fd, PyObject *limit, PyObject *take, int *count)
{
    struct mmsghdr messages[BATCH_MAX];
    struct sockaddr_storage addresses[BATCH_MAX];
    *count = read_batch(fd, limit, messages, addresses);
    if (*count < 0)
        return NULL;
    batch_reads_made++;
    batch_datagrams_read += (unsigned long long)*count;
    PyObject *items = PyList_New(0);
    if (items == NULL)
        return NULL;
    for (int i = 0; i < *count; i++) {
        const unsigned char *bytes = batch_buffers[i];
        Py_ssize_t length = (Py_ssize_t)messages[i].msg_len;
        PyObject *item;
        if (take != Py_None && length >= 2 && bytes[0] >= 128 && bytes[0] < 192 &&
            !(bytes[1] >= 192 && bytes[1] <= 208)) {
            PyObject *data = PyBytes_FromStringAndSize((const char *)bytes, length);
            if (data == NULL)
                goto error;
            PyObject *result = PyObject_CallOneArg(take, data);
            if (result == Py_None) {
                Py_DECREF(result);
                Py_DECREF(data);
                continue;
            }
            if (result == NULL && (result = take_exception()) == NULL) {
                Py_DECREF(data);
                goto error;
            }
            item = batch_item(i, messages, addresses, data, result);
            Py_DECREF(data);
            Py_DECREF(result);
        } else {
            item = batch_item(i, messages, addresses, NULL, Py_None);
        }
        if (item == NULL)
            goto error;
        int appended = PyList_Append(items, item);
        Py_DECREF(item);
        if (appended < 0)
            goto error;
    }
    return items;
error:
    Py_DECREF(items);
    return NULL;
}

/* receive_batch(fd, limit, take) -> (count, [(data, address, result), ...]): one
 * read_and_take. */
PyObject *
receive_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "receive_batch takes 3 arguments");
        return NULL;
    }
    int count;
    PyObject *items = read_and_take(args[0], args[1], args[2], &count);
    if (items == NULL)
        return NULL;
    return Py_BuildValue("(iN)", count, items);
}

/* batch_counts() -> (reads, datagrams): what every batched read in this process got. */
PyObject *
batch_counts(PyObject *module, PyObject *unused)
{
    return Py_BuildValue("(KK)", batch_reads_made, batch_datagrams_read);
}
#endif
