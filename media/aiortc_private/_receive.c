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
 * When on_packet is a steady forwarding.Publication's, _publication.c does its work.
 */
#include "_packet_io.h"

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

STATE_GC(stats, STATS_FIELDS)
STATE_GC(nack, NACK_FIELDS)
STATE_GC(ingress, INGRESS_FIELDS)

STATE_TYPE(stats, StatsState, "The fields of a StreamStatistics that receive_fast updates.")
STATE_TYPE(nack, NackState, "The fields of a NackGenerator that receive_fast updates.")
STATE_TYPE(ingress, IngressState, "The fields of a receiver.Ingress that receive_fast reads.")
static PyObject *relay_ingress_name, *enabled_name;
/* None: the system clock, as time.time(); else a callable returning seconds (tests) */
static PyObject *receive_clock = NULL;

int
receive_init(void)
{
    relay_ingress_name = PyUnicode_InternFromString("_relay_ingress");
    enabled_name = PyUnicode_InternFromString("_enabled");
    receive_clock = Py_None;
    Py_INCREF(receive_clock);
    if (relay_ingress_name == NULL || enabled_name == NULL)
        return -1;
    return publication_init();
}

int
receive_add_types(PyObject *module)
{
    PyTypeObject *types[] = {&StatsStateType, &NackStateType, &IngressStateType};
    const char *names[] = {"StatsState", "NackState", "IngressState"};
    for (int i = 0; i < 3; i++) {
        if (PyType_Ready(types[i]) < 0)
            return -1;
        Py_INCREF(types[i]);
        if (PyModule_AddObject(module, names[i], (PyObject *)types[i]) < 0)
            return -1;
    }
    return publication_add_type(module);
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
int
receive_now(clockid_t which, double *seconds)
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

static int
set_object(PyObject **field, PyObject *value)
{
    Py_INCREF(value);
    Py_XSETREF(*field, value);
    return 0;
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
    PyObject *publication = steady_publication(on_packet);
    if (publication != NULL) {
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
    PyObject *value = take_exception();
    PyObject *logged = PyObject_CallOneArg(report, value ? value : Py_None);
    if (logged == NULL)
        PyErr_WriteUnraisable(report);
    Py_XDECREF(logged);
    Py_XDECREF(value);
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
    if (receive_now(CLOCK_REALTIME, &seconds) < 0) {
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
