/* What the _packet_io module's C files share: one RTP packet written, protected and sent,
 * and each file's entry points. */
#ifndef PEER_MEETINGS_PACKET_IO_H
#define PEER_MEETINGS_PACKET_IO_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sys/socket.h>
#include <time.h>

#include <structmember.h>

/* where rtp_sender's compiled path sends: pylibsrtp's srtp_protect, the srtp_t session,
 * the socket and the peer's struct sockaddr (borrowed from a bytes object) */
typedef struct {
    void *protect;
    void *session;
    int fd;
    const struct sockaddr *address;
    socklen_t address_length;
} rtp_destination;

/* the state types (DowntrackState, EgressState, the receive side's) are a run of
 * PyObject * after the header; garbage collection for them */
static inline PyObject **
fields_of(PyObject *self)
{
    return (PyObject **)((char *)self + sizeof(PyObject));
}

#define STATE_GC(kind, count)                                               \
    static int kind##_traverse(PyObject *self, visitproc visit, void *arg)  \
    {                                                                       \
        PyObject **fields = fields_of(self);                                \
        for (int i = 0; i < count; i++)                                     \
            Py_VISIT(fields[i]);                                            \
        return 0;                                                           \
    }                                                                       \
    static int kind##_clear(PyObject *self)                                 \
    {                                                                       \
        PyObject **fields = fields_of(self);                                \
        for (int i = 0; i < count; i++)                                     \
            Py_CLEAR(fields[i]);                                            \
        return 0;                                                           \
    }                                                                       \
    static void kind##_dealloc(PyObject *self)                              \
    {                                                                       \
        PyObject_GC_UnTrack(self);                                          \
        kind##_clear(self);                                                 \
        Py_TYPE(self)->tp_free(self);                                       \
    }

/* T_OBJECT_EX, not T_OBJECT: CPython 3.11 specialises attribute access only for the
 * former; an unset field raises AttributeError, as an unset instance attribute does */
#define FIELD(type, field, attribute) \
    {attribute, T_OBJECT_EX, offsetof(type, field), 0, NULL}

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

/* The exception set, taken off the thread state as one object with its traceback (a new
 * reference, to hand to Python); NULL if none was set. */
static inline PyObject *
take_exception(void)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL)
        PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
}

/* an int field's value into *out; 0 when it is unset or not an int (the Python path
 * then), -1 with an exception set */
static inline int
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
static inline int
set_int(PyObject **field, long long value)
{
    PyObject *number = PyLong_FromLongLong(value);
    if (number == NULL)
        return -1;
    Py_XSETREF(*field, number);
    return 0;
}

/* marker_pt | PADDED: send with the padding bit set (packet_io.PADDED) */
#define PADDED 0x100

int rtp_destination_from(PyObject *const *args, rtp_destination *to);
Py_ssize_t rtp_send(const rtp_destination *to, int marker_pt, unsigned long seq,
                    unsigned long ts, unsigned long ssrc, const unsigned char *extensions,
                    Py_ssize_t extensions_length, const unsigned char *payload,
                    Py_ssize_t payload_length);

int fan_out_init(void);
int fan_out_add_types(PyObject *module);
int fan_out_closing_field(PyObject *field);
PyObject *fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *configure_egress(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

PyObject *rewrite_vp8_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
#ifdef __linux__
PyObject *receive_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *read_and_take(PyObject *fd, PyObject *limit, PyObject *take, int *count);
PyObject *batch_counts(PyObject *module, PyObject *unused);
PyObject *wait_media(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
#endif

int receive_init(void);
int receive_add_types(PyObject *module);
int receive_fast(const unsigned char *rtp, PyObject *packet, PyObject *ssrc_table,
                 PyObject *payload_type_table, PyObject *report);
PyObject *configure_receive(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
int receive_now(clockid_t which, double *seconds);

int publication_init(void);
int publication_add_type(PyObject *module);
PyObject *steady_publication(PyObject *on_packet);
PyObject *publication_packet(PyObject *publication, PyObject *packet, PyObject *codec,
                             int marker);

#endif
