# The coverage firmware (boards/unix with gcov and sys.settrace). Used as VARIANT_DIR
# by the top-level Makefile for VARIANT=coverage (`make coverage`).
include $(VARIANT_DIR)/../unix/mpconfigvariant.mk
