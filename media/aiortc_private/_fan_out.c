/* One received RTP packet to every subscriber of a publication in one call.
 *
 * fan_out does what media/forwarding.py's Publication.on_packet loop, Downtrack.forward
 * and sender.Egress.send do for a downtrack in its steady state (ready, numbering
 * anchored, a route to send on): the per-subscriber header rewrite (SSRC, payload type,
 * sequence number and timestamp offsets, header extensions), SRTP protect and sendto,
 * then the same bookkeeping (retransmission history, sender-report counters, last
 * sequence number / timestamp / send time). The state it reads and writes lives in two
 * base classes defined here, DowntrackState (of forwarding.Downtrack) and EgressState (of
 * sender.Egress), as members: Python code (rebasing, retransmission, statistics) reads and
 * writes the same fields as plain attributes, and fan_out reaches them without a lookup
 * (reading instance attributes through the C API costs more than the interpreter does).
 * Every downtrack in any other state is handed back for the Python loop.
 * Without it the Python loop does everything (tests/media/test_fan_out.py compares the
 * two, byte for byte and attribute for attribute).
 */
#include "_packet_io.h"

#include <string.h>

#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *paused, *ready, *waiting_keyframe, *rebase, *first_seq, *seq_offset,
        *ts_offset, *payload_type, *is_video, *abs_send_time_id, *video_extensions,
        *mid_element, *audio_level_id, *packets_sent, *egress;
} DowntrackState;
#define DOWNTRACK_FIELDS 15

typedef struct {
    PyObject_HEAD
    PyObject *route, *sender, *keep_history, *history, *sent_packets, *sent_octets,
        *last_seq, *last_ts, *last_sent, *send_times;
} EgressState;
#define EGRESS_FIELDS 10

/* sender.PACKET_OVERHEAD: wire bytes per packet beyond what Egress counts (configure_egress) */
static long long packet_overhead = -1;

/* FIELD (_packet_io.h): T_OBJECT_EX members; Python code (the fallback loop, rebasing,
 * statistics) reads these a lot */
static PyMemberDef downtrack_members[] = {
    FIELD(DowntrackState, paused, "paused"),
    FIELD(DowntrackState, ready, "ready"),
    FIELD(DowntrackState, waiting_keyframe, "waiting_keyframe"),
    FIELD(DowntrackState, rebase, "rebase"),
    FIELD(DowntrackState, first_seq, "first_seq"),
    FIELD(DowntrackState, seq_offset, "seq_offset"),
    FIELD(DowntrackState, ts_offset, "ts_offset"),
    FIELD(DowntrackState, payload_type, "payload_type"),
    FIELD(DowntrackState, is_video, "is_video"),
    FIELD(DowntrackState, abs_send_time_id, "abs_send_time_id"),
    FIELD(DowntrackState, video_extensions, "video_extensions"),
    FIELD(DowntrackState, mid_element, "mid_element"),
    FIELD(DowntrackState, audio_level_id, "audio_level_id"),
    FIELD(DowntrackState, packets_sent, "packets_sent"),
    FIELD(DowntrackState, egress, "egress"),
    {NULL},
};
static PyMemberDef egress_members[] = {
    FIELD(EgressState, route, "_route"),
    FIELD(EgressState, sender, "sender"),
    FIELD(EgressState, keep_history, "keep_history"),
    FIELD(EgressState, history, "history"),
    FIELD(EgressState, sent_packets, "_sent_packets"),
    FIELD(EgressState, sent_octets, "_sent_octets"),
    FIELD(EgressState, last_seq, "last_seq"),
    FIELD(EgressState, last_ts, "last_ts"),
    FIELD(EgressState, last_sent, "last_sent"),
    FIELD(EgressState, send_times, "send_times"),
    {NULL},
};

STATE_GC(downtrack, DOWNTRACK_FIELDS)
STATE_GC(egress, EGRESS_FIELDS)

static PyTypeObject DowntrackStateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "media.aiortc_private._packet_io.DowntrackState",
    .tp_doc = "The fields of a forwarding.Downtrack that fan_out reads and writes.",
    .tp_basicsize = sizeof(DowntrackState),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = downtrack_traverse,
    .tp_clear = downtrack_clear,
    .tp_dealloc = downtrack_dealloc,
    .tp_members = downtrack_members,
};

static PyTypeObject EgressStateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "media.aiortc_private._packet_io.EgressState",
    .tp_doc = "The fields of a sender.Egress that fan_out reads and writes.",
    .tp_basicsize = sizeof(EgressState),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = egress_traverse,
    .tp_clear = egress_clear,
    .tp_dealloc = egress_dealloc,
    .tp_members = egress_members,
};

/* configure_egress(packet_overhead): sender.PACKET_OVERHEAD, for send_times */
PyObject *
configure_egress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "configure_egress takes the packet overhead");
        return NULL;
    }
    long long value = PyLong_AsLongLong(args[0]);
    if (value == -1 && PyErr_Occurred())
        return NULL;
    packet_overhead = value;
    Py_RETURN_NONE;
}

int
fan_out_add_types(PyObject *module)
{
    if (PyType_Ready(&DowntrackStateType) < 0 || PyType_Ready(&EgressStateType) < 0)
        return -1;
    Py_INCREF(&DowntrackStateType);
    if (PyModule_AddObject(module, "DowntrackState", (PyObject *)&DowntrackStateType) < 0)
        return -1;
    Py_INCREF(&EgressStateType);
    if (PyModule_AddObject(module, "EgressState", (PyObject *)&EgressStateType) < 0)
        return -1;
    return 0;
}

/* a field's truth; -1 with an exception set */
static int
truth(PyObject *value)
{
    if (value == NULL || value == Py_None || value == Py_False)
        return 0;
    if (value == Py_True)
        return 1;
    return PyObject_IsTrue(value);
}

/* an int field (None, unset: `otherwise`); -1 with an exception set */
static int
integer(PyObject *value, long long otherwise, long long *out)
{
    if (value == NULL || value == Py_None) {
        *out = otherwise;
        return 0;
    }
    *out = PyLong_AsLongLong(value);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static void
store_object(PyObject **field, PyObject *value)
{
    Py_INCREF(value);
    Py_XSETREF(*field, value);
}

#define HISTORY_SIZE 128 /* aiortc.rtp.RTP_HISTORY_SIZE (packet_io.py checks it) */
#define EXTENSIONS_ROOM 64

enum {
    PAUSED, READY, WAITING_KEYFRAME, REBASE, EGRESS, ROUTE, IS_CLOSING, FIRST_SEQ,
    SEQ_OFFSET, TS_OFFSET, PAYLOAD_TYPE, IS_VIDEO, ABS_SEND_TIME_ID, VIDEO_EXTENSIONS,
    MID_ELEMENT, AUDIO_LEVEL_ID, PACKETS_SENT, SENDER, SSRC, KEEP_HISTORY, HISTORY,
    SENT_PACKETS, SENT_OCTETS, LAST_SEQ, LAST_TS, LAST_SENT, NTP_TIMESTAMP, RTP_TIMESTAMP,
    PACKET_COUNT, OCTET_COUNT, SEQUENCE_NUMBER, TIMESTAMP, MARKER, PAYLOAD, EXTENSIONS,
    AUDIO_LEVEL, CLOSING, NAME_COUNT
};
static const char *names[NAME_COUNT] = {
    "paused", "ready", "waiting_keyframe", "rebase", "egress", "_route", "is_closing",
    "first_seq", "seq_offset", "ts_offset", "payload_type", "is_video", "abs_send_time_id",
    "video_extensions", "mid_element", "audio_level_id", "packets_sent", "sender", "_ssrc",
    "keep_history", "history", "_sent_packets", "_sent_octets", "last_seq", "last_ts",
    "last_sent", "_RTCRtpSender__ntp_timestamp", "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__packet_count", "_RTCRtpSender__octet_count", "sequence_number",
    "timestamp", "marker", "payload", "extensions", "audio_level",
    "_closing", /* configure() passes the name packet_io.py declares */
};
static PyObject *name[NAME_COUNT];

int
fan_out_init(void)
{
    for (int i = 0; i < NAME_COUNT; i++)
        if ((name[i] = PyUnicode_InternFromString(names[i])) == NULL)
            return -1;
    return 0;
}

int
fan_out_closing_field(PyObject *field)
{
    Py_INCREF(field);
    PyUnicode_InternInPlace(&field);
    Py_XSETREF(name[CLOSING], field);
    return 0;
}

/* The received packet, read once for all downtracks. */
typedef struct {
    long long seq;
    long long ts;
    int marker;
    PyObject *packet;
    const unsigned char *payload;
    Py_ssize_t payload_length;
    PyObject *payload_object;
    int level_known; /* audio level read (only audio downtracks need it) */
    int has_level;
    int level_byte;
    PyObject *now;
    const unsigned char *abs_send_time;
    Py_ssize_t abs_send_time_length;
    PyObject *ntp;
} incoming;

/* an int attribute (None reads as `otherwise`); -1 with an exception set */
static int
number(PyObject *object, int which, long long otherwise, long long *out)
{
    PyObject *value = PyObject_GetAttr(object, name[which]);
    if (value == NULL)
        return -1;
    if (value == Py_None) {
        *out = otherwise;
    } else {
        *out = PyLong_AsLongLong(value);
        if (*out == -1 && PyErr_Occurred()) {
            Py_DECREF(value);
            return -1;
        }
    }
    Py_DECREF(value);
    return 0;
}

/* appends a bytes field to extensions; 0 when it is not bytes or does not fit (the
 * Python path then sends) */
static int
append_bytes(PyObject *value, unsigned char *extensions, Py_ssize_t *length)
{
    if (value == NULL || !PyBytes_Check(value) ||
        *length + PyBytes_GET_SIZE(value) > EXTENSIONS_ROOM)
        return 0;
    memcpy(extensions + *length, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value));
    *length += PyBytes_GET_SIZE(value);
    return 1;
}

static int
read_audio_level(incoming *in)
{
    in->level_known = 1;
    PyObject *extensions = PyObject_GetAttr(in->packet, name[EXTENSIONS]);
    if (extensions == NULL)
        return -1;
    PyObject *level = PyObject_GetAttr(extensions, name[AUDIO_LEVEL]);
    Py_DECREF(extensions);
    if (level == NULL)
        return -1;
    if (level != Py_None) {
        if (!PyTuple_Check(level) || PyTuple_GET_SIZE(level) != 2) {
            Py_DECREF(level);
            PyErr_SetString(PyExc_TypeError, "audio_level must be (vad, level)");
            return -1;
        }
        int vad = PyObject_IsTrue(PyTuple_GET_ITEM(level, 0));
        long value = PyLong_AsLong(PyTuple_GET_ITEM(level, 1));
        Py_DECREF(level);
        if (vad < 0 || (value == -1 && PyErr_Occurred()))
            return -1;
        if (value < 0 || (vad << 7 | value) > 255) {
            PyErr_SetString(PyExc_ValueError, "audio level out of range");
            return -1;
        }
        in->has_level = 1;
        in->level_byte = (int)(vad << 7 | value);
        return 0;
    }
    Py_DECREF(level);
    return 0;
}

/* The sent packet's bookkeeping, as Egress.send does it after a successful send. */
static int
record_sent(EgressState *egress, const incoming *in, long long out_seq, long long out_ts,
            int marker_pt, const unsigned char *extensions, Py_ssize_t extensions_length,
            Py_ssize_t length)
{
    int keep = truth(egress->keep_history);
    if (keep < 0)
        return -1;
    if (keep && egress->history != NULL && egress->history != Py_None) {
        PyObject *entry = Py_BuildValue("(LiLy#O)", out_seq, marker_pt, out_ts,
                                        (const char *)extensions, extensions_length,
                                        in->payload_object);
        PyObject *slot = PyLong_FromLongLong(out_seq % HISTORY_SIZE);
        int failed =
            entry == NULL || slot == NULL || PyObject_SetItem(egress->history, slot, entry) < 0;
        Py_XDECREF(entry);
        Py_XDECREF(slot);
        if (failed)
            return -1;
    }
    long long packets, octets;
    if (integer(egress->sent_packets, 0, &packets) < 0 ||
        integer(egress->sent_octets, 0, &octets) < 0)
        return -1;
    packets += 1;
    octets += length - 12;
    if (set_int(&egress->sent_packets, packets) < 0 || set_int(&egress->sent_octets, octets) < 0)
        return -1;
    /* when, and the wire bits up to it: what the subscriber's reports are read against */
    PyObject *times = egress->send_times;
    if (times == NULL || !PyList_Check(times) || PyList_GET_SIZE(times) == 0 ||
        packet_overhead < 0) {
        PyErr_SetString(PyExc_RuntimeError, "send_times or configure_egress missing");
        return -1;
    }
    PyObject *sent = Py_BuildValue("(L(OL))", out_seq, in->now,
                                   (octets + packets * packet_overhead) * 8);
    if (sent == NULL ||
        PyList_SetItem(times, (Py_ssize_t)(out_seq % PyList_GET_SIZE(times)), sent) < 0)
        return -1;
    if (in->marker) {
        /* the sender's RTCP sender reports read these */
        PyObject *sender = egress->sender;
        PyObject *values[4] = {in->ntp, PyLong_FromLongLong(out_ts), PyLong_FromLongLong(packets),
                               PyLong_FromLongLong(octets)};
        Py_INCREF(values[0]);
        int failed = 0;
        for (int i = 0; i < 4; i++) {
            if (!failed && (values[i] == NULL ||
                            PyObject_SetAttr(sender, name[NTP_TIMESTAMP + i], values[i]) < 0))
                failed = 1;
            Py_XDECREF(values[i]);
        }
        if (failed)
            return -1;
    }
    return 0;
}

/* Downtrack.forward + Egress.send for a ready downtrack: 1 done (sent, dropped by a full
 * socket buffer, or older than the numbering's anchor), 0 for the Python path (rebasing,
 * no route yet, transport closing, extensions that do not fit), -1 with an exception. */
static int
forward_one(DowntrackState *downtrack, incoming *in)
{
    int rebase = truth(downtrack->rebase);
    if (rebase != 0)
        return rebase < 0 ? -1 : 0;
    if (downtrack->egress == NULL || !PyObject_TypeCheck(downtrack->egress, &EgressStateType))
        return 0;
    EgressState *egress = (EgressState *)downtrack->egress;
    long long first_seq, seq_offset, ts_offset, payload_type, ssrc;
    if (integer(downtrack->first_seq, 0, &first_seq) < 0)
        return -1;
    if (((first_seq - in->seq) & 0xFFFF) < 0x8000 && in->seq != first_seq)
        return 1; /* older than the packet numbering was anchored on */
    /* (send_rtp, transport, session, (protect, session, fd, sockaddr) or None) */
    PyObject *route = egress->route;
    if (route == NULL || !PyTuple_Check(route) || PyTuple_GET_SIZE(route) < 4 ||
        !PyTuple_Check(PyTuple_GET_ITEM(route, 3)) ||
        PyTuple_GET_SIZE(PyTuple_GET_ITEM(route, 3)) != 4 || egress->sender == NULL)
        return 0;
    Py_INCREF(route); /* is_closing() runs Python code */
    int result = -1;
    /* asyncio's selector transports answer is_closing() from _closing: read it without
       the Python call (uvloop's have no such attribute and a C is_closing) */
    PyObject *transport = PyTuple_GET_ITEM(route, 1), *closing = NULL;
    if (_PyObject_LookupAttr(transport, name[CLOSING], &closing) < 0)
        goto done;
    if (closing == NULL)
        closing = PyObject_CallMethodNoArgs(transport, name[IS_CLOSING]);
    if (closing == NULL)
        goto done;
    int is_closing = PyObject_IsTrue(closing);
    Py_DECREF(closing);
    if (is_closing != 0) {
        result = is_closing < 0 ? -1 : 0;
        goto done;
    }
    rtp_destination to;
    if (rtp_destination_from(&PyTuple_GET_ITEM(PyTuple_GET_ITEM(route, 3), 0), &to) < 0)
        goto done;
    if (integer(downtrack->seq_offset, 0, &seq_offset) < 0 ||
        integer(downtrack->ts_offset, 0, &ts_offset) < 0 ||
        integer(downtrack->payload_type, 0, &payload_type) < 0 ||
        number(egress->sender, SSRC, 0, &ssrc) < 0)
        goto done;
    long long out_seq = (in->seq + seq_offset) & 0xFFFF;
    long long out_ts = (in->ts + ts_offset) & 0xFFFFFFFFLL;

    unsigned char extensions[EXTENSIONS_ROOM];
    Py_ssize_t extensions_length = 0;
    int video = truth(downtrack->is_video);
    if (video < 0)
        goto done;
    int fits;
    if (video) {
        long long abs_id;
        if (integer(downtrack->abs_send_time_id, 0, &abs_id) < 0)
            goto done;
        if (abs_id) {
            fits = append_bytes(downtrack->video_extensions, extensions, &extensions_length) &&
                   extensions_length + in->abs_send_time_length <= EXTENSIONS_ROOM;
            if (fits) {
                memcpy(extensions + extensions_length, in->abs_send_time,
                       in->abs_send_time_length);
                extensions_length += in->abs_send_time_length;
            }
        } else {
            fits = append_bytes(downtrack->mid_element, extensions, &extensions_length);
        }
    } else {
        fits = append_bytes(downtrack->mid_element, extensions, &extensions_length);
        long long level_id;
        if (integer(downtrack->audio_level_id, 0, &level_id) < 0)
            goto done;
        if (fits && level_id) {
            if (!in->level_known && read_audio_level(in) < 0)
                goto done;
            if (in->has_level) {
                if (extensions_length + 2 > EXTENSIONS_ROOM || level_id < 0 || level_id > 15) {
                    fits = 0;
                } else {
                    extensions[extensions_length++] = (unsigned char)(level_id << 4);
                    extensions[extensions_length++] = (unsigned char)in->level_byte;
                }
            }
        }
    }
    if (!fits) {
        result = 0;
        goto done;
    }
    int marker_pt = in->marker << 7 | (int)payload_type;
    Py_ssize_t length =
        rtp_send(&to, marker_pt, (unsigned long)out_seq, (unsigned long)out_ts,
                 (unsigned long)ssrc, extensions, extensions_length, in->payload,
                 in->payload_length);
    if (length == -2)
        goto done;
    if (length >= 0 && record_sent(egress, in, out_seq, out_ts, marker_pt, extensions,
                                   extensions_length, length) < 0)
        goto done;
    long long packets_sent;
    if (set_int(&egress->last_seq, out_seq) < 0 || set_int(&egress->last_ts, out_ts) < 0 ||
        integer(downtrack->packets_sent, 0, &packets_sent) < 0 ||
        set_int(&downtrack->packets_sent, packets_sent + 1) < 0)
        goto done;
    store_object(&egress->last_sent, in->now);
    result = 1;
done:
    Py_DECREF(route);
    return result;
}

static int
read_incoming(PyObject *packet, incoming *in)
{
    long long marker;
    if (number(packet, SEQUENCE_NUMBER, 0, &in->seq) < 0 ||
        number(packet, TIMESTAMP, 0, &in->ts) < 0 || number(packet, MARKER, 0, &marker) < 0)
        return -1;
    in->marker = marker ? 1 : 0;
    in->payload_object = PyObject_GetAttr(packet, name[PAYLOAD]);
    if (in->payload_object == NULL)
        return -1;
    if (!PyBytes_Check(in->payload_object)) {
        PyErr_SetString(PyExc_TypeError, "payload must be bytes");
        return -1;
    }
    in->payload = (const unsigned char *)PyBytes_AS_STRING(in->payload_object);
    in->payload_length = PyBytes_GET_SIZE(in->payload_object);
    return 0;
}

/* fan_out(downtracks, packet, keyframe, now, abs_send_time, ntp) -> None, True (a
 * downtrack waits for a keyframe: ask the publisher) or (downtracks for the Python loop,
 * that flag). downtracks is Publication.downtracks (a dict, snapshotted first). A
 * downtrack whose send raised is handed back too: the Python loop raises again and
 * drops it, as it does for any subscriber whose forward fails. */
PyObject *
fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyDict_Check(args[0]) || !PyBytes_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError,
                        "fan_out takes (downtracks dict, packet, keyframe, now, abs_send_time "
                        "bytes, ntp)");
        return NULL;
    }
    int keyframe = PyObject_IsTrue(args[2]);
    if (keyframe < 0)
        return NULL;
    incoming in = {0};
    in.packet = args[1];
    in.now = args[3];
    in.abs_send_time = (const unsigned char *)PyBytes_AS_STRING(args[4]);
    in.abs_send_time_length = PyBytes_GET_SIZE(args[4]);
    in.ntp = args[5];
    PyObject *downtracks = NULL, *deferred = NULL, *result = NULL;
    if (read_incoming(args[1], &in) < 0)
        goto done;
    downtracks = PyDict_Values(args[0]);
    if (downtracks == NULL)
        goto done;
    int needs_keyframe = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(downtracks); i++) {
        PyObject *item = PyList_GET_ITEM(downtracks, i);
        int handled = 0;
        if (PyObject_TypeCheck(item, &DowntrackStateType)) {
            DowntrackState *downtrack = (DowntrackState *)item;
            int paused = truth(downtrack->paused);
            if (paused < 0)
                goto done;
            if (paused)
                continue;
            int ready = truth(downtrack->ready);
            if (ready < 0)
                goto done;
            if (ready) {
                int waiting = truth(downtrack->waiting_keyframe);
                if (waiting < 0)
                    goto done;
                if (waiting && !keyframe) {
                    needs_keyframe = 1;
                    continue;
                }
                if (waiting)
                    store_object(&downtrack->waiting_keyframe, Py_False);
                handled = forward_one(downtrack, &in);
                if (handled < 0) {
                    PyErr_Clear(); /* the Python loop raises it again, drops the subscriber */
                    handled = 0;
                }
            }
        }
        if (!handled) {
            if (deferred == NULL && (deferred = PyList_New(0)) == NULL)
                goto done;
            if (PyList_Append(deferred, item) < 0)
                goto done;
        }
    }
    if (deferred != NULL) {
        result = Py_BuildValue("(OO)", deferred, needs_keyframe ? Py_True : Py_False);
    } else {
        result = needs_keyframe ? Py_True : Py_None;
        Py_INCREF(result);
    }
done:
    Py_XDECREF(in.payload_object);
    Py_XDECREF(downtracks);
    Py_XDECREF(deferred);
    return result;
}
