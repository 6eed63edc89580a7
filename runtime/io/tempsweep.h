/* tempsweep.h — removing the half-written files a killed writer left behind. Writers
 * create a temporary beside their target (safe_temp_beside: "<target>.tmp-<pid>-<n>-<hex>")
 * and rename it onto the target once complete, so such a file whose process is gone is
 * one nobody will finish, rename or read: a run killed with SIGKILL during a save leaves
 * it, and without a sweep it would stay in the user's output folder forever. */
#ifndef ATELIER_TEMPSWEEP_H
#define ATELIER_TEMPSWEEP_H

/* Removes, from the folder that holds path, every regular file named like a temporary of
 * safe_temp_beside whose process is no longer alive (not this process's own, nor one
 * another live process is writing). The folder is reached as safe_temp_beside reaches it
 * (from the write root, links refused under one) and looked at once per process: stale
 * temporaries only come from runs that ended before, and a folder of many outputs must
 * not be read again at every write. Best effort: returns how many it removed, 0 when the
 * folder cannot be read. Thread-safe. */
int temp_sweep_beside(const char *path);

/* Whether name has the form "<something>.tmp-<pid>-<n>-<hex>"; *pid gets the pid. */
int temp_sweep_parse(const char *name, long *pid);

#endif
