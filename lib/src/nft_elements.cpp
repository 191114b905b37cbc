#include "nft_elements.h"
