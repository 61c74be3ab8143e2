// build: -O1
/* keyctl commands whose results are the same on every run: keys that do not exist, requests
 * the kernel rejects, the keyring defaults and the capabilities (read back into a buffer),
 * with the structures of Diffie-Hellman and public-key commands. Nothing is added to any
 * keyring. */
#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static long keyctl(long cmd, unsigned long a2, unsigned long a3, unsigned long a4,
                   unsigned long a5) {
    return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

int main(void) {
    const int nokey = 0x7ffffff0;
    char buf[64];
    keyctl(KEYCTL_GET_KEYRING_ID, nokey, 0, 0, 0);
    keyctl(KEYCTL_DESCRIBE, nokey, (unsigned long)buf, sizeof buf, 0);
    keyctl(KEYCTL_READ, nokey, (unsigned long)buf, sizeof buf, 0);
    keyctl(KEYCTL_UPDATE, nokey, (unsigned long)"payload", 7, 0);
    keyctl(KEYCTL_REVOKE, nokey, 0, 0, 0);
    keyctl(KEYCTL_CHOWN, nokey, -1, 0, 0);
    keyctl(KEYCTL_SETPERM, nokey, 0x3f010000 /* KEY_POS_VIEW|KEY_POS_READ|KEY_USR_ALL */, 0, 0);
    keyctl(KEYCTL_LINK, nokey, KEY_SPEC_PROCESS_KEYRING, 0, 0);
    keyctl(KEYCTL_SEARCH, KEY_SPEC_PROCESS_KEYRING, (unsigned long)"user",
           (unsigned long)"no such key", 0);
    keyctl(KEYCTL_SET_TIMEOUT, nokey, 60, 0, 0);
    keyctl(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0);
    keyctl(KEYCTL_REJECT, nokey, 10, 128 /* EKEYREJECTED */, KEY_SPEC_SESSION_KEYRING);
    struct iovec iov[2] = {{(void *)"part one", 8}, {(void *)"part two", 8}};
    keyctl(KEYCTL_INSTANTIATE_IOV, nokey, (unsigned long)iov, 2, 0);
    struct keyctl_dh_params dh = {.private = nokey, .prime = nokey + 1, .base = nokey + 2};
    struct keyctl_kdf_params kdf = {.hashname = "sha256", .otherinfo = "info",
                                    .otherinfolen = 4};
    keyctl(KEYCTL_DH_COMPUTE, (unsigned long)&dh, (unsigned long)buf, sizeof buf,
           (unsigned long)&kdf);
    struct keyctl_pkey_query q;
    keyctl(KEYCTL_PKEY_QUERY, nokey, 0, (unsigned long)"enc=pkcs1", (unsigned long)&q);
    struct keyctl_pkey_params pp = {.key_id = nokey, .in_len = 4, .out_len = 16};
    keyctl(KEYCTL_PKEY_ENCRYPT, (unsigned long)&pp, (unsigned long)"enc=pkcs1",
           (unsigned long)"data", (unsigned long)buf);
    keyctl(KEYCTL_MOVE, nokey, KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING,
           KEYCTL_MOVE_EXCL);
    keyctl(KEYCTL_RESTRICT_KEYRING, nokey, (unsigned long)"asymmetric", 0, 0);
    unsigned char caps[8];
    memset(caps, 0, sizeof caps);
    keyctl(KEYCTL_CAPABILITIES, (unsigned long)caps, sizeof caps, 0, 0);
    keyctl(0x7fff, 1, 2, 3, 4);
    return 0;
}
