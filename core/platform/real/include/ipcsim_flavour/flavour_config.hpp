#pragma once
// Real (Linux) flavour. Only headers under core/platform/ may include this file or test
// IPC_PLATFORM_REAL.
#define IPC_PLATFORM_REAL 1
#define IPC_FLAVOUR_NS real
#define IPC_FLAVOUR_NAME "real"
#define IPC_FLAVOUR_IS_SIM false
