#pragma once
// Simulation flavour. Only headers under core/platform/ may include this file or test
// IPC_PLATFORM_SIM.
#define IPC_PLATFORM_SIM 1
#define IPC_FLAVOUR_NS sim
#define IPC_FLAVOUR_NAME "sim"
#define IPC_FLAVOUR_IS_SIM true
