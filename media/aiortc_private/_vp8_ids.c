/* The VP8 payload descriptor's picture id and TL0PICIDX renumbered (RFC 7741), as
 * media/vp8.py does it: simulcast does it per packet per subscriber. Part of _packet_io. */
#include "_packet_io.h"

/* ---- VP8 payload descriptor (RFC 7741), as media/vp8.py reads it --------------- */

/* rewrite_vp8_ids(payload, pid_offset, tl0_offset) -> (payload, picture id or -1,
 * TL0PICIDX or -1); the same object back when the descriptor carries neither. */
PyObject *
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
