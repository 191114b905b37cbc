#include "port_spec.h"
