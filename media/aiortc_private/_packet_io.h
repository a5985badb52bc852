/* What _packet_io.c and _fan_out.c share: one RTP packet written, protected and sent. */
#ifndef PEER_MEETINGS_PACKET_IO_H
#define PEER_MEETINGS_PACKET_IO_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sys/socket.h>

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

int receive_init(void);
int receive_add_types(PyObject *module);
int receive_fast(const unsigned char *rtp, PyObject *packet, PyObject *ssrc_table,
                 PyObject *payload_type_table, PyObject *report);
PyObject *configure_receive(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif
