// os.urandom() on the QEMU target (included by extmod/modos.c, see
// mpconfigboard.mk), from the board's entropy source: mbedtls_hardware_poll() in
// mbedtls_port.c, which is a test board's entropy, not a device's. urequests uses
// it for a multipart body's boundary, as on the boards, which have os.urandom from
// their hardware generator.
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

static mp_obj_t mp_os_urandom(mp_obj_t num) {
    mp_int_t n = mp_obj_get_int(num);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("negative length"));
    }
    vstr_t vstr;
    vstr_init_len(&vstr, n);
    size_t olen;
    mbedtls_hardware_poll(NULL, (unsigned char *)vstr.buf, n, &olen);
    return mp_obj_new_bytes_from_vstr(&vstr);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mp_os_urandom_obj, mp_os_urandom);
