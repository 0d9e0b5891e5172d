/* cnnrt.h — the tiny runtime generated code includes. */
#ifndef CNNRT_H
#define CNNRT_H
#endif
