/* The relay's per-datagram work in one call: serialize an RTP header in front of a
 * payload, SRTP-protect it and sendto() it; SRTP-unprotect a received datagram.
 *
 * Also the receive side: unprotect + RTP parse into aiortc's own RtpPacket (and its
 * HeaderExtensions) in one call. The VP8 renumbering simulcast does per packet per
 * subscriber is in _vp8_ids.c, the batched socket read in _batch_read.c.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "_packet_io.h"

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

/* Serialize (12-byte header, one-byte-header extensions, payload), SRTP-protect and
 * sendto() one RTP packet: the plaintext length, -1 when the socket buffer was full (the
 * packet is dropped, as a congested network would), -2 with an exception set. */
Py_ssize_t
rtp_send(const rtp_destination *to, int marker_pt, unsigned long seq, unsigned long ts,
         unsigned long ssrc, const unsigned char *extensions, Py_ssize_t extensions_length,
         const unsigned char *payload, Py_ssize_t payload_length)
{
    Py_ssize_t padding = (4 - extensions_length % 4) % 4;
    Py_ssize_t header_length =
        12 + (extensions_length ? 4 + extensions_length + padding : 0);
    Py_ssize_t length = header_length + payload_length;
    if (length > BUFFER_SIZE - TRAILER_ROOM) {
        PyErr_SetString(PyExc_ValueError, "packet is too long");
        return -2;
    }
    unsigned char packet[BUFFER_SIZE];
    /* PADDED in marker_pt: the payload ends in RTP padding (RFC 3550 5.1) */
    packet[0] = (extensions_length ? 0x90 : 0x80) | (marker_pt & PADDED ? 0x20 : 0);
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
    memcpy(packet + header_length, payload, payload_length);

    int protected_length = (int)length;
    int status = ((srtp_function)to->protect)(to->session, packet, &protected_length);
    if (status) {
        PyErr_Format(PyExc_ValueError, "srtp_protect failed (%d)", status);
        return -2;
    }
    ssize_t sent = sendto(to->fd, packet, protected_length, 0, to->address, to->address_length);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOBUFS)
            return -1;
        PyErr_SetFromErrno(PyExc_OSError);
        return -2;
    }
    return length;
}

/* (protect, session, fd, sockaddr) as rtp_sender binds them -> *to; -1 with an
 * exception set if they are not that. */
int
rtp_destination_from(PyObject *const *args, rtp_destination *to)
{
    if (as_pointer(args[0], &to->protect) < 0 || as_pointer(args[1], &to->session) < 0)
        return -1;
    to->fd = PyLong_AsLong(args[2]);
    if (to->fd == -1 && PyErr_Occurred())
        return -1;
    if (!PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "sockaddr must be bytes");
        return -1;
    }
    to->address = (const struct sockaddr *)PyBytes_AS_STRING(args[3]);
    to->address_length = (socklen_t)PyBytes_GET_SIZE(args[3]);
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
    rtp_destination to;
    if (rtp_destination_from(args, &to) < 0)
        return NULL;
    long marker_pt = PyLong_AsLong(args[4]);
    long seq = PyLong_AsLong(args[5]);
    unsigned long ts = PyLong_AsUnsignedLong(args[6]);
    unsigned long ssrc = PyLong_AsUnsignedLong(args[7]);
    if (PyErr_Occurred())
        return NULL;
    if (!PyBytes_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError, "extensions must be bytes");
        return NULL;
    }
    Py_buffer payload;
    if (PyObject_GetBuffer(args[9], &payload, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t length = rtp_send(&to, (int)marker_pt, (unsigned long)seq, ts, ssrc,
                                 (const unsigned char *)PyBytes_AS_STRING(args[8]),
                                 PyBytes_GET_SIZE(args[8]), payload.buf, payload.len);
    PyBuffer_Release(&payload);
    if (length == -2)
        return NULL;
    return PyLong_FromSsize_t(length);
}

/* args (unprotect, session, datagram): the datagram decrypted into packet (BUFFER_SIZE
   bytes), its length in *length; -1 with an exception set if it fails. */
static int
decrypt(PyObject *const *args, unsigned char *packet, int *length)
{
    void *function, *session;
    if (as_pointer(args[0], &function) < 0 || as_pointer(args[1], &session) < 0)
        return -1;
    Py_buffer data;
    if (PyObject_GetBuffer(args[2], &data, PyBUF_SIMPLE) < 0)
        return -1;
    if (data.len > BUFFER_SIZE) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "packet is too long");
        return -1;
    }
    memcpy(packet, data.buf, data.len);
    *length = (int)data.len;
    PyBuffer_Release(&data);
    int status = ((srtp_function)function)(session, packet, length);
    if (status) {
        PyErr_Format(PyExc_ValueError, "srtp_unprotect failed (%d)", status);
        return -1;
    }
    return 0;
}

/* unprotect(unprotect, session, datagram) -> RTP packet bytes; ValueError if it fails. */
static PyObject *
unprotect(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "unprotect takes 3 arguments");
        return NULL;
    }
    unsigned char packet[BUFFER_SIZE];
    int length;
    if (decrypt(args, packet, &length) < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)packet, length);
}

/* ---- receive: unprotect + parse into aiortc.rtp.RtpPacket ---------------------- */

static PyObject *packet_type, *extensions_type, *empty_tuple;
/* HeaderExtensionsMap ids, in the order aiortc's HeaderExtensionsMap.get tests them */
enum { MID, REPAIRED_RID, RID, ABS_SEND_TIME, TOFFSET, AUDIO_LEVEL, TWCC, ID_COUNT };
static const char *id_names[ID_COUNT] = {
    "mid", "repaired_rtp_stream_id", "rtp_stream_id", "abs_send_time",
    "transmission_offset", "audio_level", "transport_sequence_number",
};
static PyObject *id_strings[ID_COUNT];
/* HeaderExtensions fields in dataclass order, RtpPacket attributes in __init__ order */
static const char *extension_fields[] = {
    "abs_send_time", "audio_level", "mid", "repaired_rtp_stream_id", "rtp_stream_id",
    "transmission_offset", "transport_sequence_number",
};
static const int field_of_id[ID_COUNT] = {2, 3, 4, 0, 5, 1, 6};
#define FIELD_COUNT 7
static PyObject *field_strings[FIELD_COUNT];
static const char *packet_fields[] = {
    "version", "marker", "payload_type", "sequence_number", "timestamp", "ssrc",
    "csrc", "extensions", "payload", "padding_size",
};
#define PACKET_FIELD_COUNT 10
static PyObject *packet_strings[PACKET_FIELD_COUNT];

/* configure(RtpPacket, HeaderExtensions, closing_field): the classes receive_rtp
 * instantiates, and the attribute of asyncio's transports that is_closing() returns
 * (fan_out reads it instead of calling is_closing()). */
static PyObject *
configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyType_Check(args[1]) ||
        !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure takes the RtpPacket and HeaderExtensions classes and a name");
        return NULL;
    }
    if (fan_out_closing_field(args[2]) < 0)
        return NULL;
    Py_INCREF(args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(packet_type, args[0]);
    Py_XSETREF(extensions_type, args[1]);
    Py_RETURN_NONE;
}

static PyObject *
new_instance(PyObject *type)
{
    return ((PyTypeObject *)type)->tp_new((PyTypeObject *)type, empty_tuple, NULL);
}

static int
malformed(const char *what)
{
    PyErr_SetString(PyExc_ValueError, what);
    return -1;
}

/* One extension value as HeaderExtensionsMap.get converts it; NULL with ValueError
 * (UnicodeDecodeError is one) where the Python path raises (struct.error there). */
static PyObject *
extension_value(int which, const unsigned char *value, Py_ssize_t length)
{
    switch (which) {
    case MID:
        return PyUnicode_DecodeUTF8((const char *)value, length, "strict");
    case REPAIRED_RID:
    case RID:
        return PyUnicode_DecodeASCII((const char *)value, length, "strict");
    case ABS_SEND_TIME:
        if (length != 3)
            break;
        return PyLong_FromUnsignedLong((unsigned long)value[0] << 16 | value[1] << 8 | value[2]);
    case TOFFSET:
        if (length != 3)
            break;
        {
            long offset = (long)value[0] << 16 | value[1] << 8 | value[2];
            if (offset & 0x800000)
                offset -= 0x1000000;
            return PyLong_FromLong(offset);
        }
    case AUDIO_LEVEL:
        if (length != 1)
            break;
        {
            PyObject *vad = PyBool_FromLong(value[0] & 0x80);
            PyObject *level = PyLong_FromLong(value[0] & 0x7F);
            if (vad == NULL || level == NULL) {
                Py_XDECREF(vad);
                Py_XDECREF(level);
                return NULL;
            }
            PyObject *pair = PyTuple_Pack(2, vad, level);
            Py_DECREF(vad);
            Py_DECREF(level);
            return pair;
        }
    case TWCC:
        if (length != 2)
            break;
        return PyLong_FromLong(value[0] << 8 | value[1]);
    }
    PyErr_SetString(PyExc_ValueError, "RTP header extension value has the wrong size");
    return NULL;
}

/* The extension block's elements into values[] (HeaderExtensions field order). */
static int
parse_extensions(unsigned int profile, const unsigned char *block, Py_ssize_t length,
                 const long ids[ID_COUNT], PyObject *values[FIELD_COUNT])
{
    Py_ssize_t pos = 0;
    if (profile != 0xBEDE && profile != 0x1000)
        return 0;
    while (pos < length) {
        if (block[pos] == 0) {
            pos++;
            continue;
        }
        long id;
        Py_ssize_t size;
        if (profile == 0xBEDE) {
            id = block[pos] >> 4;
            size = (block[pos] & 0x0F) + 1;
            pos += 1;
            if (length < pos + size)
                return malformed("RTP one-byte header extension value is truncated");
        } else {
            if (length < pos + 2)
                return malformed("RTP two-byte header extension is truncated");
            id = block[pos];
            size = block[pos + 1];
            pos += 2;
            if (length < pos + size)
                return malformed("RTP two-byte header extension value is truncated");
        }
        for (int which = 0; which < ID_COUNT; which++) {
            if (ids[which] != id)
                continue;
            PyObject *value = extension_value(which, block + pos, size);
            if (value == NULL)
                return -1;
            Py_XSETREF(values[field_of_id[which]], value);
            break;
        }
        pos += size;
    }
    return 0;
}

static PyObject *
build_packet(const unsigned char *data, Py_ssize_t length, PyObject *id_source)
{
    if (length < 12) {
        PyErr_SetString(PyExc_ValueError, "RTP packet length is less than 12 bytes");
        return NULL;
    }
    int padding = (data[0] >> 5) & 1, extension = (data[0] >> 4) & 1, cc = data[0] & 0x0F;
    if (data[0] >> 6 != 2) {
        PyErr_SetString(PyExc_ValueError, "RTP packet has invalid version");
        return NULL;
    }
    if (length < 12 + 4 * cc) {
        PyErr_SetString(PyExc_ValueError, "RTP packet has truncated CSRC");
        return NULL;
    }
    PyObject *values[FIELD_COUNT] = {NULL};
    PyObject *csrc = NULL, *extensions = NULL, *packet = NULL, *payload = NULL;
    Py_ssize_t pos = 12;
    csrc = PyList_New(cc);
    if (csrc == NULL)
        goto fail;
    for (int i = 0; i < cc; i++, pos += 4) {
        PyObject *item = PyLong_FromUnsignedLong((unsigned long)data[pos] << 24 |
                                                 data[pos + 1] << 16 | data[pos + 2] << 8 |
                                                 data[pos + 3]);
        if (item == NULL)
            goto fail;
        PyList_SET_ITEM(csrc, i, item);
    }
    if (extension) {
        if (length < pos + 4) {
            malformed("RTP packet has truncated extension profile / length");
            goto fail;
        }
        unsigned int profile = data[pos] << 8 | data[pos + 1];
        Py_ssize_t block = (Py_ssize_t)(data[pos + 2] << 8 | data[pos + 3]) * 4;
        pos += 4;
        if (length < pos + block) {
            malformed("RTP packet has truncated extension value");
            goto fail;
        }
        long ids[ID_COUNT];
        for (int which = 0; which < ID_COUNT; which++) {
            PyObject *id = PyObject_GetAttr(id_source, id_strings[which]);
            if (id == NULL)
                goto fail;
            ids[which] = id == Py_None ? -1 : PyLong_AsLong(id);
            Py_DECREF(id);
            if (ids[which] == -1 && PyErr_Occurred())
                goto fail;
        }
        if (parse_extensions(profile, data + pos, block, ids, values) < 0)
            goto fail;
        pos += block;
    }
    long padding_size = 0;
    if (padding) {
        padding_size = data[length - 1];
        if (!padding_size || padding_size > length - pos) {
            malformed("RTP packet padding length is invalid");
            goto fail;
        }
    }
    payload = PyBytes_FromStringAndSize((const char *)data + pos, length - pos - padding_size);
    extensions = new_instance(extensions_type);
    packet = new_instance(packet_type);
    if (payload == NULL || extensions == NULL || packet == NULL)
        goto fail;
    /* HeaderExtensions (a dataclass) has every field default to None on the class: only
       the values a packet carries are set on the instance */
    for (int i = 0; i < FIELD_COUNT; i++)
        if (values[i] && PyObject_SetAttr(extensions, field_strings[i], values[i]) < 0)
            goto fail;
    PyObject *fields[PACKET_FIELD_COUNT] = {
        PyLong_FromLong(2),
        PyLong_FromLong(data[1] >> 7),
        PyLong_FromLong(data[1] & 0x7F),
        PyLong_FromLong(data[2] << 8 | data[3]),
        PyLong_FromUnsignedLong((unsigned long)data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7]),
        PyLong_FromUnsignedLong((unsigned long)data[8] << 24 | data[9] << 16 | data[10] << 8 | data[11]),
        csrc,
        extensions,
        payload,
        PyLong_FromLong(padding_size),
    };
    Py_INCREF(csrc);
    Py_INCREF(extensions);
    Py_INCREF(payload);
    int failed = 0;
    for (int i = 0; i < PACKET_FIELD_COUNT; i++) {
        if (!failed && (fields[i] == NULL || PyObject_SetAttr(packet, packet_strings[i], fields[i]) < 0))
            failed = 1;
        Py_XDECREF(fields[i]);
    }
    if (failed)
        goto fail;
    Py_DECREF(csrc);
    Py_DECREF(extensions);
    Py_DECREF(payload);
    for (int i = 0; i < FIELD_COUNT; i++)
        Py_XDECREF(values[i]);
    return packet;
fail:
    for (int i = 0; i < FIELD_COUNT; i++)
        Py_XDECREF(values[i]);
    Py_XDECREF(csrc);
    Py_XDECREF(extensions);
    Py_XDECREF(payload);
    Py_XDECREF(packet);
    return NULL;
}

/* receive_rtp(unprotect, session, extension_ids, datagram) -> RtpPacket, as
 * RtpPacket.parse(unprotected, extensions_map) builds it; extension_ids is the map's
 * HeaderExtensions of ids (read on every call: renegotiation changes it in place).
 * ValueError if decryption or parsing fails. */
static PyObject *
receive_rtp(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "receive_rtp takes 4 arguments");
        return NULL;
    }
    if (packet_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    unsigned char packet[BUFFER_SIZE];
    int length;
    PyObject *const decrypt_args[3] = {args[0], args[1], args[3]};
    if (decrypt(decrypt_args, packet, &length) < 0)
        return NULL;
    return build_packet(packet, length, args[2]);
}

/* receive_media(unprotect, session, extension_ids, ssrc_table, payload_type_table,
 * report, datagram) -> None when the packet took the usual path to its Ingress in C
 * (_receive.c); else the RtpPacket receive_rtp builds, for the Python path to route and
 * handle. ValueError if decryption or parsing fails; report(exception) gets what the
 * Ingress's on_packet raised. */
static PyObject *
receive_media(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "receive_media takes 7 arguments");
        return NULL;
    }
    if (packet_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    unsigned char packet[BUFFER_SIZE];
    int length;
    PyObject *const decrypt_args[3] = {args[0], args[1], args[6]};
    if (decrypt(decrypt_args, packet, &length) < 0)
        return NULL;
    PyObject *parsed = build_packet(packet, length, args[2]);
    if (parsed == NULL)
        return NULL;
    int handled = receive_fast(packet, parsed, args[3], args[4], args[5]);
    if (handled == 0)
        return parsed;
    Py_DECREF(parsed);
    if (handled < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* parse_rtp(data, extension_ids) -> RtpPacket: receive_rtp without the decryption. */
static PyObject *
parse_rtp(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "parse_rtp takes bytes and the extension ids");
        return NULL;
    }
    if (packet_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    return build_packet((const unsigned char *)PyBytes_AS_STRING(args[0]),
                        PyBytes_GET_SIZE(args[0]), args[1]);
}

static PyMethodDef methods[] = {
    {"send_rtp", (PyCFunction)(void (*)(void))send_rtp, METH_FASTCALL,
     "Serialize, SRTP-protect and send one RTP packet."},
    {"unprotect", (PyCFunction)(void (*)(void))unprotect, METH_FASTCALL,
     "SRTP-unprotect one datagram."},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL,
     "Set the RtpPacket and HeaderExtensions classes receive_rtp builds."},
    {"receive_rtp", (PyCFunction)(void (*)(void))receive_rtp, METH_FASTCALL,
     "SRTP-unprotect one datagram and parse it into an RtpPacket."},
    {"receive_media", (PyCFunction)(void (*)(void))receive_media, METH_FASTCALL,
     "receive_rtp, then the usual packet's routing, statistics and hand-over in one call."},
    {"configure_receive", (PyCFunction)(void (*)(void))configure_receive, METH_FASTCALL,
     "Set the clock receive statistics read (None: the system's)."},
    {"parse_rtp", (PyCFunction)(void (*)(void))parse_rtp, METH_FASTCALL,
     "Parse one RTP packet into an RtpPacket."},
#ifdef __linux__
    {"receive_batch", (PyCFunction)(void (*)(void))receive_batch, METH_FASTCALL,
     "Read every datagram queued on a socket (recvmmsg), SRTP media to a receiver."},
    {"batch_counts", (PyCFunction)batch_counts, METH_NOARGS,
     "(reads, datagrams) of every batched read in this process."},
    {"wait_media", (PyCFunction)(void (*)(void))wait_media, METH_FASTCALL,
     "The event loop's epoll wait, media sockets read and forwarded inside it."},
#endif
    {"rewrite_vp8_ids", (PyCFunction)(void (*)(void))rewrite_vp8_ids, METH_FASTCALL,
     "Renumber a VP8 payload's picture id and TL0PICIDX."},
    {"configure_egress", (PyCFunction)(void (*)(void))configure_egress, METH_FASTCALL,
     "Set the per-packet wire overhead fan_out counts in Egress.send_times."},
    {"fan_out", (PyCFunction)(void (*)(void))fan_out, METH_FASTCALL,
     "Forward one received RTP packet to every steady downtrack of a publication."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_packet_io", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__packet_io(void)
{
    empty_tuple = PyTuple_New(0);
    if (empty_tuple == NULL)
        return NULL;
    for (int i = 0; i < ID_COUNT; i++)
        if ((id_strings[i] = PyUnicode_InternFromString(id_names[i])) == NULL)
            return NULL;
    for (int i = 0; i < FIELD_COUNT; i++)
        if ((field_strings[i] = PyUnicode_InternFromString(extension_fields[i])) == NULL)
            return NULL;
    for (int i = 0; i < PACKET_FIELD_COUNT; i++)
        if ((packet_strings[i] = PyUnicode_InternFromString(packet_fields[i])) == NULL)
            return NULL;
    if (fan_out_init() < 0 || receive_init() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    if (module != NULL && (fan_out_add_types(module) < 0 || receive_add_types(module) < 0)) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
