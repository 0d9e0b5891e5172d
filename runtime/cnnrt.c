#include "cnnrt.h"
