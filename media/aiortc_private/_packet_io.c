/* The relay's per-datagram work in one call: serialize an RTP header in front of a
 * payload, SRTP-protect it and sendto() it; SRTP-unprotect a received datagram.
 *
 * Each Python-level step (struct.pack, bytes join, copy into the SRTP buffer, the cffi
 * call, slicing the result, socket.sendto parsing its address tuple) costs more than the
 * encryption itself; doing them here is what makes the relay cheaper per packet.
 * libsrtp is not linked: the caller passes pylibsrtp's srtp_protect/srtp_unprotect
 * function pointers and srtp_t session pointers as integers (packet_io.py).
 * packet_io.py holds the pure-Python fallback that produces identical bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*srtp_function)(void *session, void *packet, int *length);

#define TRAILER_ROOM 144 /* pylibsrtp.SRTP_MAX_TRAILER_LEN */
#define BUFFER_SIZE 4096

static int
as_pointer(PyObject *value, void **out)
{
    unsigned long long raw = PyLong_AsUnsignedLongLong(value);
    if (raw == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = (void *)(uintptr_t)raw;
    return 0;
}

/* send_rtp(protect, session, fd, sockaddr, marker_pt, seq, ts, ssrc, extensions, payload)
 * -> plaintext length sent, or -1 when the socket buffer is full (packet dropped). */
static PyObject *
send_rtp(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "send_rtp takes 10 arguments");
        return NULL;
    }
    void *protect, *session;
    if (as_pointer(args[0], &protect) < 0 || as_pointer(args[1], &session) < 0)
        return NULL;
    int fd = PyLong_AsLong(args[2]);
    long marker_pt = PyLong_AsLong(args[4]);
    long seq = PyLong_AsLong(args[5]);
    unsigned long ts = PyLong_AsUnsignedLong(args[6]);
    unsigned long ssrc = PyLong_AsUnsignedLong(args[7]);
    if (PyErr_Occurred())
        return NULL;
    if (!PyBytes_Check(args[3]) || !PyBytes_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError, "sockaddr and extensions must be bytes");
        return NULL;
    }
    const char *address = PyBytes_AS_STRING(args[3]);
    Py_ssize_t address_length = PyBytes_GET_SIZE(args[3]);
    const unsigned char *extensions = (const unsigned char *)PyBytes_AS_STRING(args[8]);
    Py_ssize_t extensions_length = PyBytes_GET_SIZE(args[8]);

    Py_buffer payload;
    if (PyObject_GetBuffer(args[9], &payload, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t padding = (4 - extensions_length % 4) % 4;
    Py_ssize_t header_length =
        12 + (extensions_length ? 4 + extensions_length + padding : 0);
    Py_ssize_t length = header_length + payload.len;
    if (length > BUFFER_SIZE - TRAILER_ROOM) {
        PyBuffer_Release(&payload);
        PyErr_SetString(PyExc_ValueError, "packet is too long");
        return NULL;
    }

    unsigned char packet[BUFFER_SIZE];
    packet[0] = extensions_length ? 0x90 : 0x80;
    packet[1] = (unsigned char)marker_pt;
    packet[2] = (unsigned char)(seq >> 8);
    packet[3] = (unsigned char)seq;
    packet[4] = (unsigned char)(ts >> 24);
    packet[5] = (unsigned char)(ts >> 16);
    packet[6] = (unsigned char)(ts >> 8);
    packet[7] = (unsigned char)ts;
    packet[8] = (unsigned char)(ssrc >> 24);
    packet[9] = (unsigned char)(ssrc >> 16);
    packet[10] = (unsigned char)(ssrc >> 8);
    packet[11] = (unsigned char)ssrc;
    if (extensions_length) {
        Py_ssize_t words = (extensions_length + padding) / 4;
        packet[12] = 0xbe;
        packet[13] = 0xde;
        packet[14] = (unsigned char)(words >> 8);
        packet[15] = (unsigned char)words;
        memcpy(packet + 16, extensions, extensions_length);
        memset(packet + 16 + extensions_length, 0, padding);
    }
    memcpy(packet + header_length, payload.buf, payload.len);
    PyBuffer_Release(&payload);

    int protected_length = (int)length;
    int status = ((srtp_function)protect)(session, packet, &protected_length);
    if (status) {
        PyErr_Format(PyExc_ValueError, "srtp_protect failed (%d)", status);
        return NULL;
    }
    ssize_t sent = sendto(fd, packet, protected_length, 0, (const struct sockaddr *)address,
                          (socklen_t)address_length);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOBUFS)
            return PyLong_FromLong(-1);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return PyLong_FromSsize_t(length);
}

/* unprotect(unprotect, session, datagram) -> RTP packet bytes; ValueError if it fails. */
static PyObject *
unprotect(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "unprotect takes 3 arguments");
        return NULL;
    }
    void *function, *session;
    if (as_pointer(args[0], &function) < 0 || as_pointer(args[1], &session) < 0)
        return NULL;
    Py_buffer data;
    if (PyObject_GetBuffer(args[2], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (data.len > BUFFER_SIZE) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "packet is too long");
        return NULL;
    }
    unsigned char packet[BUFFER_SIZE];
    memcpy(packet, data.buf, data.len);
    int length = (int)data.len;
    PyBuffer_Release(&data);
    int status = ((srtp_function)function)(session, packet, &length);
    if (status) {
        PyErr_Format(PyExc_ValueError, "srtp_unprotect failed (%d)", status);
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)packet, length);
}

static PyMethodDef methods[] = {
    {"send_rtp", (PyCFunction)(void (*)(void))send_rtp, METH_FASTCALL,
     "Serialize, SRTP-protect and send one RTP packet."},
    {"unprotect", (PyCFunction)(void (*)(void))unprotect, METH_FASTCALL,
     "SRTP-unprotect one datagram."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_packet_io", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__packet_io(void)
{
    return PyModule_Create(&module_definition);
}
