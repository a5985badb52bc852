/* Publication.on_packet's steady case for a packet the compiled receive step delivers.
 *
 * When an Ingress's on_packet is a forwarding.Publication's (PublicationState, its C base
 * class) and the publication is live, forwarding and has subscribers, _receive.c calls
 * publication_packet instead of the Python method: packet and byte counters, the audio
 * level callback, VP8/H264 keyframe detection, the clocks, then fan_out (_fan_out.c)
 * directly; what fan_out hands back goes to the publication's Python loop
 * (Publication._forward_rest), as on_packet does.
 */
#include "_packet_io.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    PyObject *packets_in, *bytes_in, *live, *forwarding, *downtracks, *video, *publisher,
        *on_audio_level, *keyframe_codec, *keyframe_kind, *compiled_on_packet;
} PublicationState;
#define PUBLICATION_FIELDS 11

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

STATE_TYPE(publication, PublicationState,
           "The fields of a forwarding.Publication that receive_fast reads and updates.")

static PyObject *payload_name, *extensions_name, *audio_level_name, *mime_type_name,
    *request_keyframe_name, *forward_rest_name, *empty_bytes;

int
publication_init(void)
{
    payload_name = PyUnicode_InternFromString("payload");
    extensions_name = PyUnicode_InternFromString("extensions");
    audio_level_name = PyUnicode_InternFromString("audio_level");
    mime_type_name = PyUnicode_InternFromString("mimeType");
    request_keyframe_name = PyUnicode_InternFromString("request_keyframe");
    forward_rest_name = PyUnicode_InternFromString("_forward_rest");
    empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    return payload_name && extensions_name && audio_level_name && mime_type_name &&
                   request_keyframe_name && forward_rest_name && empty_bytes
               ? 0
               : -1;
}

int
publication_add_type(PyObject *module)
{
    if (PyType_Ready(&PublicationStateType) < 0)
        return -1;
    Py_INCREF(&PublicationStateType);
    return PyModule_AddObject(module, "PublicationState", (PyObject *)&PublicationStateType);
}

/* the publication on_packet is the method of, when it is in the steady state
 * publication_packet handles (borrowed); NULL if not */
PyObject *
steady_publication(PyObject *on_packet)
{
    if (!PyMethod_Check(on_packet) ||
        !PyObject_TypeCheck(PyMethod_GET_SELF(on_packet), &PublicationStateType))
        return NULL;
    PublicationState *publication = (PublicationState *)PyMethod_GET_SELF(on_packet);
    if (publication->compiled_on_packet == Py_True && publication->live == Py_True &&
        publication->forwarding == Py_True && publication->downtracks != NULL &&
        PyDict_Check(publication->downtracks) && PyDict_GET_SIZE(publication->downtracks) > 0)
        return (PyObject *)publication;
    return NULL;
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
PyObject *
publication_packet(PyObject *publication_object, PyObject *packet, PyObject *codec,
                   int marker)
{
    PublicationState *publication = (PublicationState *)publication_object;
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
    if (receive_now(CLOCK_MONOTONIC, &monotonic) < 0 || receive_now(CLOCK_REALTIME, &wall) < 0)
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
        /* no PY_VECTORCALL_ARGUMENTS_OFFSET: rest_args[-1] is not ours to lend */
        result = PyObject_VectorcallMethod(forward_rest_name, rest_args, 8, NULL);
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
