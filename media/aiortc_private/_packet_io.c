/* The relay's per-datagram work in one call: serialize an RTP header in front of a
 * payload, SRTP-protect it and sendto() it; SRTP-unprotect a received datagram.
 *
 * Also the receive side: unprotect + RTP parse into aiortc's own RtpPacket (and its
 * HeaderExtensions) in one call, and the VP8 picture-id/TL0PICIDX renumbering that
 * simulcast does per packet per subscriber.
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

/* ---- VP8 payload descriptor (RFC 7741), as media/vp8.py reads it --------------- */

/* rewrite_vp8_ids(payload, pid_offset, tl0_offset) -> (payload, picture id or -1,
 * TL0PICIDX or -1); the same object back when the descriptor carries neither. */
static PyObject *
rewrite_vp8_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "rewrite_vp8_ids takes bytes and two offsets");
        return NULL;
    }
    long long pid_offset = PyLong_AsLongLong(args[1]);
    long long tl0_offset = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred())
        return NULL;
    const unsigned char *payload = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t pid_at = -1, tl0_at = -1, i = 2;
    int bits = 0;
    if (size >= 2 && payload[0] & 0x80) {
        unsigned char ext = payload[1];
        if (ext & 0x80 && i < size) {
            pid_at = i;
            if (payload[i] & 0x80) {
                bits = 15;
                i += 2;
            } else {
                bits = 7;
                i += 1;
            }
        }
        if (ext & 0x40) {
            tl0_at = i;
            i += 1;
        }
        if (ext & 0x30)
            i += 1;
        if (i > size) {
            bits = 0;
            tl0_at = -1;
        }
    }
    if (bits == 0 && tl0_at < 0)
        return Py_BuildValue("(Oii)", args[0], -1, -1);
    PyObject *out = PyBytes_FromStringAndSize((const char *)payload, size);
    if (out == NULL)
        return NULL;
    unsigned char *data = (unsigned char *)PyBytes_AS_STRING(out);
    long pid = -1, tl0 = -1;
    if (bits == 15) {
        pid = (long)((((long long)(data[pid_at] & 0x7F) << 8 | data[pid_at + 1]) + pid_offset) & 0x7FFF);
        data[pid_at] = (unsigned char)(0x80 | pid >> 8);
        data[pid_at + 1] = (unsigned char)(pid & 0xFF);
    } else if (bits == 7) {
        pid = (long)(((long long)(data[pid_at] & 0x7F) + pid_offset) & 0x7F);
        data[pid_at] = (unsigned char)pid;
    }
    if (tl0_at >= 0) {
        tl0 = (long)(((long long)data[tl0_at] + tl0_offset) & 0xFF);
        data[tl0_at] = (unsigned char)tl0;
    }
    PyObject *result = Py_BuildValue("(Oll)", out, pid, tl0);
    Py_DECREF(out);
    return result;
}

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

/* receive_batch(fd, limit, take) -> (count, [(data, address, result), ...]): what is
 * queued on the non-blocking socket, at most limit (<= 32), read with one recvmmsg (OSError
 * as recvfrom). Unless take is None, each SRTP media datagram (first byte 128-191, second
 * not an RTCP type 192-208) goes to take(data); one it takes (take returns None) is not
 * listed: no tuple or address is made for it. The rest are listed with result None (not
 * offered), what take returned, or the exception take raised. count: datagrams read. */
static PyObject *
receive_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "receive_batch takes 3 arguments");
        return NULL;
    }
    PyObject *take = args[2];
    struct mmsghdr messages[BATCH_MAX];
    struct sockaddr_storage addresses[BATCH_MAX];
    int count = read_batch(args[0], args[1], messages, addresses);
    if (count < 0)
        return NULL;
    PyObject *items = PyList_New(0);
    if (items == NULL)
        return NULL;
    for (int i = 0; i < count; i++) {
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
            if (result == NULL) {
                PyObject *type, *value, *traceback;
                PyErr_Fetch(&type, &value, &traceback);
                PyErr_NormalizeException(&type, &value, &traceback);
                if (traceback != NULL && value != NULL)
                    PyException_SetTraceback(value, traceback);
                Py_XDECREF(type);
                Py_XDECREF(traceback);
                if (value == NULL) {
                    Py_DECREF(data);
                    goto error;
                }
                result = value;
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
    return Py_BuildValue("(iN)", count, items);
error:
    Py_DECREF(items);
    return NULL;
}
#endif

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
