# The benchmark firmware: boards/unix plus MicroPython's extmod/modlwip.c (see
# mpconfigvariant.h). Used as VARIANT_DIR by `make bench` (VARIANT=bench).
include $(VARIANT_DIR)/../unix/mpconfigvariant.mk

# Compile flags that only modlwip.c needs: what a port's lwIP configuration gives it
# (modlwip_compat.h says what), and no -Wsign-compare error: the unix port turns
# that warning on, the ports modlwip is written for don't, and it compares its
# unsigned timeout with -1.
$(BUILD)/extmod/modlwip.o: CFLAGS += -include $(VARIANT_DIR)/modlwip_compat.h -Wno-sign-compare

# Keep the symbols (the port strips its binary by default): `make profile` reads
# callgrind's per-function counts of this firmware. Stripping changes no code.
STRIP =
