/* version.h — the one place atelier's version is written down. */
#ifndef ATELIER_VERSION_H
#define ATELIER_VERSION_H
#define ATELIER_VERSION "0.1.0"
#endif
