# The allocation-failure firmware (boards/unix plus oom_inject.c). Used as VARIANT_DIR
# by the top-level Makefile for VARIANT=oom (`make test-oom`).
include $(VARIANT_DIR)/../unix/mpconfigvariant.mk
