/* Types strace's xlat tables name in their static assertions (strace defines them in the
 * decoder that includes the table); included by dev/gen-xlat.sh. */
#include <linux/rtc.h>
typedef struct rtc_pll_info struct_rtc_pll_info;
typedef struct {
	uint64_t param;
	uint64_t uvalue;
	uint32_t index;
	uint32_t __pad;
} struct_rtc_param;
#define DM_EXISTS_FLAG 0x00000004 /* dm.c defines it: the uapi header no longer has it */
