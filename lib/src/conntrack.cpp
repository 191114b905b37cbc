#include "conntrack.h"
