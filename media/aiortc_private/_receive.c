/* A received RTP packet's usual path from the socket to its publication in one call.
 *
 * receive_fast does, for a packet of a known stream that is the one after the last,
 * what transport.media_handler, aiortc's RtpRouter.route_rtp, receiver.Ingress.handle,
 * receive_stats' NextPacketStreamStatistics.add and NextPacketNackGenerator.add do in
 * Python: route by SSRC (known SSRC, matching payload type), count the packet in the
 * receiver's per-SSRC statistics (what receiver reports say: highest sequence number,
 * cycles, packets received, jitter), advance the NACK generator's highest sequence
 * number (forgetting missing packets that fell out of the history), then hand the
 * packet to the Ingress's on_packet. The state lives in three base
 * classes defined here, as members (see _fan_out.c for why): StatsState (of
 * NextPacketStreamStatistics), NackState (of NextPacketNackGenerator) and IngressState
 * (of Ingress). Anything else - an unknown SSRC, a gap, a reordered or repeated packet,
 * RTX, a disabled receiver, a LayeredIngress - is left untouched and handed back for the Python path, which does it all as before.
 *
 * When on_packet is a forwarding.Publication's (PublicationState, the fourth base class)
 * in its steady state (live, forwarding, subscribers), what Publication.on_packet does
 * before its fan-out runs here too (counters, audio level, keyframe detection, clocks)
 * and fan_out (_fan_out.c) is called directly; what fan_out hands back goes to the
 * publication's Python loop (_forward_rest).
 */
#include "_packet_io.h"

#include <string.h>
#include <time.h>

#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *max_seq, *packets_received, *cycles, *jitter_q4, *last_arrival,
        *last_timestamp, *clockrate;
} StatsState;
#define STATS_FIELDS 7

typedef struct {
    PyObject_HEAD
    PyObject *max_seq, *missing;
} NackState;
#define NACK_FIELDS 2

typedef struct {
    PyObject_HEAD
    PyObject *receiver, *on_packet, *media_ssrc, *media_codec, *codecs, *remote_streams,
        *nack_generator, *compiled_receive;
} IngressState;
#define INGRESS_FIELDS 8

typedef struct {
    PyObject_HEAD
    PyObject *packets_in, *bytes_in, *live, *forwarding, *downtracks, *video, *publisher,
        *on_audio_level, *keyframe_codec, *keyframe_kind, *compiled_on_packet;
} PublicationState;
#define PUBLICATION_FIELDS 11

#define FIELD(type, field, attribute) \
    {attribute, T_OBJECT_EX, offsetof(type, field), 0, NULL}
static PyMemberDef stats_members[] = {
    FIELD(StatsState, max_seq, "max_seq"),
    FIELD(StatsState, packets_received, "packets_received"),
    FIELD(StatsState, cycles, "cycles"),
    FIELD(StatsState, jitter_q4, "_jitter_q4"),
    FIELD(StatsState, last_arrival, "_last_arrival"),
    FIELD(StatsState, last_timestamp, "_last_timestamp"),
    FIELD(StatsState, clockrate, "_clockrate"),
    {NULL},
};
static PyMemberDef nack_members[] = {
    FIELD(NackState, max_seq, "max_seq"),
    FIELD(NackState, missing, "missing"),
    {NULL},
};
static PyMemberDef ingress_members[] = {
    FIELD(IngressState, receiver, "receiver"),
    FIELD(IngressState, on_packet, "on_packet"),
    FIELD(IngressState, media_ssrc, "media_ssrc"),
    FIELD(IngressState, media_codec, "media_codec"),
    FIELD(IngressState, codecs, "codecs"),
    FIELD(IngressState, remote_streams, "remote_streams"),
    FIELD(IngressState, nack_generator, "nack_generator"),
    FIELD(IngressState, compiled_receive, "compiled_receive"),
    {NULL},
};

static PyMemberDef publication_members[] = {
    FIELD(PublicationState, packets_in, "packets_in"),
    FIELD(PublicationState, bytes_in, "bytes_in"),
    FIELD(PublicationState, live, "live"),
    FIELD(PublicationState, forwarding, "forwarding"),
    FIELD(PublicationState, downtracks, "downtracks"),
    FIELD(PublicationState, video, "_video"),
    FIELD(PublicationState, publisher, "publisher"),
    FIELD(PublicationState, on_audio_level, "_on_audio_level"),
    FIELD(PublicationState, keyframe_codec, "_keyframe_codec"),
    FIELD(PublicationState, keyframe_kind, "_keyframe_kind"),
    FIELD(PublicationState, compiled_on_packet, "compiled_on_packet"),
    {NULL},
};

STATE_GC(publication, PUBLICATION_FIELDS)
STATE_GC(stats, STATS_FIELDS)
STATE_GC(nack, NACK_FIELDS)
STATE_GC(ingress, INGRESS_FIELDS)

#define STATE_TYPE(kind, T, doc)                                           \
    static PyTypeObject T##Type = {                                        \
        PyVarObject_HEAD_INIT(NULL, 0)                                     \
        .tp_name = "media.aiortc_private._packet_io." #T,                  \
        .tp_doc = doc,                                                     \
        .tp_basicsize = sizeof(T),                                         \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, \
        .tp_new = PyType_GenericNew,                                       \
        .tp_traverse = kind##_traverse,                                    \
        .tp_clear = kind##_clear,                                          \
        .tp_dealloc = kind##_dealloc,                                      \
        .tp_members = kind##_members,                                      \
    };
STATE_TYPE(stats, StatsState, "The fields of a StreamStatistics that receive_fast updates.")
STATE_TYPE(nack, NackState, "The fields of a NackGenerator that receive_fast updates.")
STATE_TYPE(ingress, IngressState, "The fields of a receiver.Ingress that receive_fast reads.")
STATE_TYPE(publication, PublicationState,
           "The fields of a forwarding.Publication that receive_fast reads and updates.")

static PyObject *relay_ingress_name, *enabled_name, *payload_name, *extensions_name,
    *audio_level_name, *mime_type_name, *request_keyframe_name, *forward_rest_name,
    *empty_bytes;
/* None: the system clock, as time.time(); else a callable returning seconds (tests) */
static PyObject *receive_clock = NULL;

int
receive_init(void)
{
    relay_ingress_name = PyUnicode_InternFromString("_relay_ingress");
    enabled_name = PyUnicode_InternFromString("_enabled");
    payload_name = PyUnicode_InternFromString("payload");
    extensions_name = PyUnicode_InternFromString("extensions");
    audio_level_name = PyUnicode_InternFromString("audio_level");
    mime_type_name = PyUnicode_InternFromString("mimeType");
    request_keyframe_name = PyUnicode_InternFromString("request_keyframe");
    forward_rest_name = PyUnicode_InternFromString("_forward_rest");
    empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    receive_clock = Py_None;
    Py_INCREF(receive_clock);
    return relay_ingress_name && enabled_name && payload_name && extensions_name &&
                   audio_level_name && mime_type_name && request_keyframe_name &&
                   forward_rest_name && empty_bytes
               ? 0
               : -1;
}

int
receive_add_types(PyObject *module)
{
    PyTypeObject *types[] = {&StatsStateType, &NackStateType, &IngressStateType,
                             &PublicationStateType};
    const char *names[] = {"StatsState", "NackState", "IngressState", "PublicationState"};
    for (int i = 0; i < 4; i++) {
        if (PyType_Ready(types[i]) < 0)
            return -1;
        Py_INCREF(types[i]);
        if (PyModule_AddObject(module, names[i], (PyObject *)types[i]) < 0)
            return -1;
    }
    return 0;
}

/* configure_receive(clock): the clock receive statistics read (None: time.time's) */
PyObject *
configure_receive(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "configure_receive takes the clock");
        return NULL;
    }
    Py_INCREF(args[0]);
    Py_SETREF(receive_clock, args[0]);
    Py_RETURN_NONE;
}

/* now in seconds, as time.time() (CLOCK_REALTIME) or time.monotonic()
 * (CLOCK_MONOTONIC); a test's clock gives both; -1 with an exception set */
static int
now_on(clockid_t which, double *seconds)
{
    if (receive_clock == Py_None) {
        struct timespec ts;
        clock_gettime(which, &ts);
        *seconds = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
        return 0;
    }
    PyObject *value = PyObject_CallNoArgs(receive_clock);
    if (value == NULL)
        return -1;
    *seconds = PyFloat_AsDouble(value);
    Py_DECREF(value);
    return *seconds == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* an int field's value into *out; 0 when it is unset or not an int (the Python path
 * then), -1 with an exception set */
static int
int_field(PyObject *value, long long *out)
{
    if (value == NULL || !PyLong_CheckExact(value))
        return 0;
    *out = PyLong_AsLongLong(value);
    if (*out == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* replace a member with a new int; -1 with an exception set */
static int
set_int(PyObject **field, long long value)
{
    PyObject *number = PyLong_FromLongLong(value);
    if (number == NULL)
        return -1;
    Py_XSETREF(*field, number);
    return 0;
}

static int
set_object(PyObject **field, PyObject *value)
{
    Py_INCREF(value);
    Py_XSETREF(*field, value);
    return 0;
}

/* forwarding.is_keyframe_start for VP8 (kind 1) and H264 (kind 2) */
static int
is_keyframe_start(int kind, const unsigned char *p, Py_ssize_t length)
{
    if (length == 0)
        return 0;
    if (kind == 1) {
        int first = p[0];
        if (!(first & 0x10) || (first & 0x07))
            return 0;
        Py_ssize_t i = 1;
        if (first & 0x80) {
            int ext = length > 1 ? p[1] : 0;
            i = 2;
            if (ext & 0x80)
                i += length > i && (p[i] & 0x80) ? 2 : 1;
            if (ext & 0x40)
                i += 1;
            if (ext & 0x30)
                i += 1;
        }
        return length > i && !(p[i] & 0x01);
    }
    if (kind == 2) {
        int nal_type = p[0] & 0x1F;
        if (nal_type == 5 || nal_type == 7)
            return 1;
        if (nal_type == 24) {
            Py_ssize_t i = 1;
            while (i + 2 < length) {
                Py_ssize_t size = p[i] << 8 | p[i + 1];
                if ((p[i + 2] & 0x1F) == 5 || (p[i + 2] & 0x1F) == 7)
                    return 1;
                i += 2 + size;
            }
            return 0;
        }
        if (nal_type == 28 && length > 1)
            return (p[1] & 0x80) && (p[1] & 0x1F) == 5;
    }
    return 0;
}

/* the keyframe detection a codec needs (0: none), from its MIME type as codec_name reads
 * it; remembered per publication for the last codec seen. -1 with an exception set */
static int
keyframe_kind(PublicationState *publication, PyObject *codec)
{
    if (publication->keyframe_codec == codec && publication->keyframe_kind != NULL)
        return (int)PyLong_AsLong(publication->keyframe_kind);
    PyObject *mime_type = PyObject_GetAttr(codec, mime_type_name);
    if (mime_type == NULL)
        return -1;
    int kind = 0;
    if (PyUnicode_Check(mime_type)) {
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(mime_type, &length);
        if (text == NULL) {
            Py_DECREF(mime_type);
            return -1;
        }
        const char *slash = memchr(text, '/', length);
        /* codec.name is what follows the first slash (str.split("/")[1]) */
        const char *name = slash ? slash + 1 : NULL;
        const char *end = name ? memchr(name, '/', text + length - name) : NULL;
        Py_ssize_t name_length = name ? (end ? end : text + length) - name : 0;
        if (name_length == 3 && memcmp(name, "VP8", 3) == 0)
            kind = 1;
        else if (name_length == 4 && memcmp(name, "H264", 4) == 0)
            kind = 2;
    }
    Py_DECREF(mime_type);
    PyObject *number = PyLong_FromLong(kind);
    if (number == NULL)
        return -1;
    Py_XSETREF(publication->keyframe_kind, number);
    Py_INCREF(codec);
    Py_XSETREF(publication->keyframe_codec, codec);
    return kind;
}

/* Publication.on_packet for a live, forwarding publication with subscribers; NULL with
 * an exception set (as on_packet would raise it) */
static PyObject *
publication_packet(PublicationState *publication, PyObject *packet, PyObject *codec,
                   int marker)
{
    long long packets_in, bytes_in;
    PyObject *payload = PyObject_GetAttr(packet, payload_name);
    if (payload == NULL)
        return NULL;
    PyObject *result = NULL, *now_number = NULL, *abs_send_time = NULL, *ntp = NULL,
             *left = NULL, *keyframe = NULL;
    PyObject *downtracks = publication->downtracks;
    Py_XINCREF(downtracks);
    if (!PyBytes_Check(payload) || int_field(publication->packets_in, &packets_in) <= 0 ||
        int_field(publication->bytes_in, &bytes_in) <= 0 || downtracks == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a publication's counters are not ints");
        goto done;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(payload);
    Py_ssize_t length = PyBytes_GET_SIZE(payload);
    if (set_int(&publication->packets_in, packets_in + 1) < 0 ||
        set_int(&publication->bytes_in, bytes_in + length) < 0)
        goto done;
    int video = publication->video == Py_True;
    if (!video) {
        PyObject *extensions = PyObject_GetAttr(packet, extensions_name);
        if (extensions == NULL)
            goto done;
        PyObject *level = PyObject_GetAttr(extensions, audio_level_name);
        Py_DECREF(extensions);
        if (level == NULL)
            goto done;
        if (level != Py_None) {
            PyObject *value = PySequence_GetItem(level, 1);
            PyObject *called = NULL;
            if (value != NULL && publication->on_audio_level != NULL)
                called = PyObject_CallFunctionObjArgs(publication->on_audio_level,
                                                      publication->publisher, value, NULL);
            Py_XDECREF(value);
            Py_DECREF(level);
            if (called == NULL) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_AttributeError, "_on_audio_level");
                goto done;
            }
            Py_DECREF(called);
        } else
            Py_DECREF(level);
        /* the level callback may have changed what follows: check again */
        if (publication->forwarding != Py_True || !PyDict_Check(publication->downtracks) ||
            PyDict_GET_SIZE(publication->downtracks) == 0) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        Py_SETREF(downtracks, publication->downtracks);
        Py_INCREF(downtracks);
    }
    int is_keyframe = 0;
    if (video) {
        int kind = keyframe_kind(publication, codec);
        if (kind < 0)
            goto done;
        is_keyframe = is_keyframe_start(kind, data, length);
    }
    keyframe = is_keyframe ? Py_True : Py_False;
    Py_INCREF(keyframe);
    double monotonic, wall;
    if (now_on(CLOCK_MONOTONIC, &monotonic) < 0 || now_on(CLOCK_REALTIME, &wall) < 0)
        goto done;
    /* sender.ntp_now(): NTP time as 32.32 fixed point */
    unsigned long long ntp_value = (unsigned long long)((wall + 2208988800.0) * 4294967296.0);
    now_number = PyFloat_FromDouble(monotonic);
    if (video) {
        unsigned long value = (unsigned long)(ntp_value >> 14) & 0xFFFFFF;
        unsigned char bytes[3] = {value >> 16, (value >> 8) & 0xFF, value & 0xFF};
        abs_send_time = PyBytes_FromStringAndSize((const char *)bytes, 3);
    } else {
        abs_send_time = empty_bytes;
        Py_INCREF(abs_send_time);
    }
    ntp = marker ? PyLong_FromUnsignedLongLong(ntp_value) : PyLong_FromLong(0);
    if (now_number == NULL || abs_send_time == NULL || ntp == NULL)
        goto done;
    PyObject *fan_args[6] = {downtracks, packet, keyframe, now_number, abs_send_time, ntp};
    left = fan_out(NULL, fan_args, 6);
    if (left == NULL)
        goto done;
    if (left == Py_None) {
        result = Py_None;
        Py_INCREF(result);
    } else if (left == Py_True) {
        result = PyObject_CallMethodNoArgs((PyObject *)publication, request_keyframe_name);
    } else {
        PyObject *rest_args[8] = {(PyObject *)publication, left, packet, codec, keyframe,
                                  now_number, abs_send_time, ntp};
        result = PyObject_VectorcallMethod(forward_rest_name, rest_args,
                                           8 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
done:
    Py_DECREF(payload);
    Py_XDECREF(downtracks);
    Py_XDECREF(keyframe);
    Py_XDECREF(now_number);
    Py_XDECREF(abs_send_time);
    Py_XDECREF(ntp);
    Py_XDECREF(left);
    return result;
}

/* hand the packet to on_packet; an exception from it goes to report (transport logs it)
 * as Python's path logs it, and the packet counts as handled */
static int
deliver(IngressState *ingress, PyObject *packet, PyObject *codec, PyObject *report,
        int marker)
{
    PyObject *on_packet = ingress->on_packet;
    if (on_packet == NULL)
        return 0;
    Py_INCREF(on_packet);
    Py_INCREF(codec);
    PyObject *result;
    PublicationState *publication = NULL;
    if (PyMethod_Check(on_packet) &&
        PyObject_TypeCheck(PyMethod_GET_SELF(on_packet), &PublicationStateType))
        publication = (PublicationState *)PyMethod_GET_SELF(on_packet);
    if (publication != NULL && publication->compiled_on_packet == Py_True &&
        publication->live == Py_True && publication->forwarding == Py_True &&
        publication->downtracks != NULL && PyDict_Check(publication->downtracks) &&
        PyDict_GET_SIZE(publication->downtracks) > 0) {
        result = publication_packet(publication, packet, codec, marker);
    } else {
        PyObject *call_args[2] = {packet, codec};
        result = PyObject_Vectorcall(on_packet, call_args, 2, NULL);
    }
    Py_DECREF(codec);
    Py_DECREF(on_packet);
    if (result != NULL) {
        Py_DECREF(result);
        return 1;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL)
        PyException_SetTraceback(value, traceback);
    PyObject *logged = PyObject_CallOneArg(report, value ? value : Py_None);
    if (logged == NULL)
        PyErr_WriteUnraisable(report);
    Py_XDECREF(logged);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return 1;
}

/* the ingress for the receiver ssrc_table routes this packet to (as route_rtp would:
 * a known SSRC whose receiver takes the payload type); NULL (no exception) if none */
static PyObject *
routed_ingress(PyObject *ssrc_table, PyObject *payload_type_table, PyObject *ssrc,
               PyObject *payload_type)
{
    if (!PyDict_CheckExact(ssrc_table) || !PyDict_CheckExact(payload_type_table))
        return NULL;
    PyObject *receiver = PyDict_GetItemWithError(ssrc_table, ssrc);
    if (receiver == NULL)
        return NULL;
    PyObject *receivers = PyDict_GetItemWithError(payload_type_table, payload_type);
    if (receivers == NULL || !PyAnySet_CheckExact(receivers))
        return NULL;
    int found = PySet_Contains(receivers, receiver);
    if (found != 1)
        return NULL;
    PyObject *ingress = PyObject_GetAttr(receiver, relay_ingress_name);
    if (ingress == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError))
            PyErr_Clear();
        return NULL;
    }
    if (!PyObject_TypeCheck(ingress, &IngressStateType)) {
        Py_DECREF(ingress);
        return NULL;
    }
    return ingress;
}

/* aiortc.utils.uint16_gt */
static int
uint16_gt(long a, long b)
{
    return (a > b && a - b < 0x8000) || (a < b && b - a > 0x8000);
}

/* NackGenerator.truncate with max_seq: forget missing packets older than the
 * retransmission history (RTP_HISTORY_SIZE, 128); -1 with an exception set */
static int
truncate_missing(PyObject *missing, long long max_seq)
{
    long min_seq = (long)((max_seq - 128) & 0xFFFF);
    PyObject *old = PyList_New(0);
    if (old == NULL)
        return -1;
    Py_ssize_t position = 0;
    PyObject *item;
    Py_hash_t hash;
    while (_PySet_NextEntry(missing, &position, &item, &hash)) {
        long seq = PyLong_AsLong(item);
        if (seq == -1 && PyErr_Occurred()) {
            Py_DECREF(old);
            return -1;
        }
        if (uint16_gt(min_seq, seq) && PyList_Append(old, item) < 0) {
            Py_DECREF(old);
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(old); i++)
        if (PySet_Discard(missing, PyList_GET_ITEM(old, i)) < 0) {
            Py_DECREF(old);
            return -1;
        }
    Py_DECREF(old);
    return 0;
}

/* Has the packet (rtp: its decrypted bytes; packet: the RtpPacket built from them) taken
 * the whole usual path? 1 yes (delivered), 0 no (nothing changed: the Python path takes
 * it), -1 with an exception set. */
static int
fast_path(const unsigned char *rtp, PyObject *packet, PyObject *ssrc_table,
          PyObject *payload_type_table, PyObject *report, PyObject *ssrc_number,
          PyObject *payload_type)
{
    long long seq = rtp[2] << 8 | rtp[3];
    long long timestamp = (long long)rtp[4] << 24 | rtp[5] << 16 | rtp[6] << 8 | rtp[7];
    IngressState *ingress = (IngressState *)routed_ingress(ssrc_table, payload_type_table,
                                                           ssrc_number, payload_type);
    if (ingress == NULL)
        return PyErr_Occurred() ? -1 : 0;
    int result = 0;
    if (ingress->compiled_receive != Py_True || ingress->receiver == NULL ||
        ingress->codecs == NULL || !PyDict_CheckExact(ingress->codecs) ||
        ingress->remote_streams == NULL || !PyDict_CheckExact(ingress->remote_streams) ||
        ingress->nack_generator == NULL)
        goto done;
    PyObject *enabled = PyObject_GetAttr(ingress->receiver, enabled_name);
    if (enabled == NULL) {
        result = -1;
        goto done;
    }
    Py_DECREF(enabled);
    if (enabled != Py_True)
        goto done;
    /* a codec this ingress has forwarded as media before (never RTX) */
    PyObject *codec = PyDict_GetItemWithError(ingress->codecs, payload_type);
    if (codec == NULL || codec != ingress->media_codec) {
        result = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    PyObject *stats_object = PyDict_GetItemWithError(ingress->remote_streams, ssrc_number);
    if (stats_object == NULL || !PyObject_TypeCheck(stats_object, &StatsStateType)) {
        result = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    StatsState *stats = (StatsState *)stats_object;
    long long max_seq, received, cycles, jitter, last_arrival, last_timestamp, clockrate;
    int usable;
    if ((usable = int_field(stats->max_seq, &max_seq)) > 0 &&
        (usable = int_field(stats->packets_received, &received)) > 0 &&
        (usable = int_field(stats->cycles, &cycles)) > 0 &&
        (usable = int_field(stats->jitter_q4, &jitter)) > 0 &&
        (usable = int_field(stats->last_arrival, &last_arrival)) > 0 &&
        (usable = int_field(stats->last_timestamp, &last_timestamp)) > 0)
        usable = int_field(stats->clockrate, &clockrate);
    if (usable <= 0 || seq != ((max_seq + 1) & 0xFFFF)) {
        result = usable < 0 ? -1 : 0;
        goto done;
    }
    NackState *nack = NULL;
    long long nack_max;
    if (ingress->nack_generator != Py_None) {
        if (!PyObject_TypeCheck(ingress->nack_generator, &NackStateType))
            goto done;
        nack = (NackState *)ingress->nack_generator;
        if (nack->missing == NULL || !PySet_CheckExact(nack->missing))
            goto done;
        if ((usable = int_field(nack->max_seq, &nack_max)) <= 0 ||
            seq != ((nack_max + 1) & 0xFFFF)) {
            result = usable < 0 ? -1 : 0;
            goto done;
        }
    }
    double seconds;
    if (now_on(CLOCK_REALTIME, &seconds) < 0) {
        result = -1;
        goto done;
    }
    /* NextPacketStreamStatistics.add for the packet after max_seq */
    long long arrival = (long long)(seconds * (double)clockrate);
    PyObject *seq_number = PyLong_FromLongLong(seq);
    PyObject *timestamp_number = PyLong_FromLongLong(timestamp);
    if (seq_number == NULL || timestamp_number == NULL) {
        Py_XDECREF(seq_number);
        Py_XDECREF(timestamp_number);
        result = -1;
        goto done;
    }
    received += 1;
    if (seq < max_seq)
        cycles += 1 << 16;
    int failed = set_int(&stats->packets_received, received) < 0;
    if (seq < max_seq && !failed)
        failed = set_int(&stats->cycles, cycles) < 0;
    set_object(&stats->max_seq, seq_number);
    if (timestamp != last_timestamp && received > 1 && !failed) {
        long long diff = llabs((arrival - last_arrival) - (timestamp - last_timestamp));
        failed = set_int(&stats->jitter_q4, jitter + diff - ((jitter + 8) >> 4)) < 0;
    }
    if (!failed)
        failed = set_int(&stats->last_arrival, arrival) < 0;
    set_object(&stats->last_timestamp, timestamp_number);
    /* NackGenerator.add for the packet after max_seq: nothing newly missed; what it
     * tracks from before falls out once 128 packets old (truncate) */
    if (nack != NULL) {
        set_object(&nack->max_seq, seq_number);
        if (!failed && PySet_GET_SIZE(nack->missing) > 0)
            failed = truncate_missing(nack->missing, seq) < 0;
    }
    set_object(&ingress->media_ssrc, ssrc_number);
    Py_DECREF(seq_number);
    Py_DECREF(timestamp_number);
    if (failed) {
        result = -1;
        goto done;
    }
    result = deliver(ingress, packet, codec, report, rtp[1] >> 7);
done:
    Py_DECREF(ingress);
    return result;
}

int
receive_fast(const unsigned char *rtp, PyObject *packet, PyObject *ssrc_table,
             PyObject *payload_type_table, PyObject *report)
{
    PyObject *ssrc = PyLong_FromUnsignedLong((unsigned long)rtp[8] << 24 | rtp[9] << 16 |
                                             rtp[10] << 8 | rtp[11]);
    PyObject *payload_type = PyLong_FromLong(rtp[1] & 0x7F);
    int result = -1;
    if (ssrc != NULL && payload_type != NULL)
        result = fast_path(rtp, packet, ssrc_table, payload_type_table, report, ssrc,
                           payload_type);
    Py_XDECREF(ssrc);
    Py_XDECREF(payload_type);
    return result;
}
