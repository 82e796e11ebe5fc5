#!/usr/bin/python3
"""measure.py -- run a command, report its wall time and peak RSS.

  measure.py [-o FILE] [-t SECS] [--] COMMAND [ARG...]

Runs COMMAND (stdin, stdout and stderr inherited), then prints one line

  wall_s=<s> maxrss_kb=<KB> tree_maxrss_kb=<KB> rss_src=<hwm|rusage>
  anon_kb=<KB> file_kb=<KB> user_s=<s> sys_s=<s> rc=<N>

to FILE (appended; default stdout) and exits with COMMAND's exit status
(128+N when signal N killed it).  -t: kill COMMAND (SIGKILL) after SECS
seconds; the line then says timeout=1.

wall_s: CLOCK_MONOTONIC from before fork to after the final wait.

tree_maxrss_kb: resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, the largest
resident set of COMMAND or of any descendant it waited for.  Measured here
it has a floor of about 10 MB whatever COMMAND is: the forked Python child's
resident set (the interpreter's pages, counted at fork) is folded into the
maximum when it execs (`measure.py /bin/true` reports ~10 MB).  That floor
is larger than a small mail client, so it is reported but not used.

maxrss_kb: the peak resident set (VmHWM) of COMMAND's own process, read from
/proc/PID/status at its exit: the child asks to be traced (PTRACE_TRACEME)
and the only tracing option is PTRACE_O_TRACEEXIT, so the process runs
untouched until it exits (signals it receives pass through the tracer),
then stops once with its address space still in place.  Helpers COMMAND
starts (mbsync's PassCmd, say) are not counted; its threads are (one
address space).  If ptrace is refused, maxrss_kb falls back to the rusage
value and rss_src says rusage.

anon_kb, file_kb: RssAnon and RssFile (+ RssShmem) at that same exit stop,
the split of the resident set that was left (heap and stacks vs mapped
binaries and libraries); not peaks, but they say what a peak is made of.

user_s, sys_s: CPU time of COMMAND and the descendants it waited for
(rusage), so wall_s - user_s - sys_s is roughly the time spent waiting (for
the disk, the server, the network).
"""

import ctypes
import os
import resource
import signal
import sys
import time

PTRACE_TRACEME = 0
PTRACE_CONT = 7
PTRACE_SETOPTIONS = 0x4200
PTRACE_O_TRACEEXIT = 0x40
PTRACE_O_EXITKILL = 0x100000
PTRACE_EVENT_EXIT = 6

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
    ctypes.c_void_p]


def ptrace(req, pid, data=0):
	return libc.ptrace(req, pid, None, ctypes.c_void_p(data))


def proc_status(pid):
	"""VmHWM, RssAnon, RssFile+RssShmem of pid (KB), or None."""
	v = {}
	try:
		with open("/proc/%d/status" % pid) as f:
			for line in f:
				k, _, rest = line.partition(":")
				if k in ("VmHWM", "RssAnon", "RssFile", "RssShmem"):
					v[k] = int(rest.split()[0])
	except OSError:
		return None
	if "VmHWM" not in v:
		return None
	return (v["VmHWM"], v.get("RssAnon", 0),
	    v.get("RssFile", 0) + v.get("RssShmem", 0))


TIMED_OUT = False


def run(args, limit):
	"""-> (rc, wall, hwm or None)"""
	rfd, wfd = os.pipe()	# reports a failed exec to the parent
	t0 = time.monotonic()
	pid = os.fork()
	if pid == 0:
		try:
			os.close(rfd)
			os.set_inheritable(wfd, False)
			traced = ptrace(PTRACE_TRACEME, 0) == 0
			os.write(wfd, b"T" if traced else b"U")
			os.execvp(args[0], args)
		except OSError as e:
			os.write(wfd, ("E%s" % e).encode())
		os._exit(127)
	os.close(wfd)
	if limit:
		def expire(signum, frame):
			global TIMED_OUT
			TIMED_OUT = True
			try:
				os.kill(pid, signal.SIGKILL)
			except OSError:
				pass
		signal.signal(signal.SIGALRM, expire)
		signal.setitimer(signal.ITIMER_REAL, limit)
	hwm = None
	traced = False
	first = True
	while True:
		_, status = os.waitpid(pid, 0)
		if os.WIFSTOPPED(status):
			sig = os.WSTOPSIG(status)
			event = status >> 16
			if first:
				# The SIGTRAP after a traced execve.
				first = False
				msg = os.read(rfd, 4096).lstrip(b"TU")
				if msg.startswith(b"E"):
					sys.stderr.write("measure.py: cannot run %s: %s\n"
					    % (args[0], msg[1:].decode()))
				ptrace(PTRACE_SETOPTIONS, pid,
				    PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)
				traced = True
				ptrace(PTRACE_CONT, pid, 0)
				continue
			if sig == signal.SIGTRAP and event == PTRACE_EVENT_EXIT:
				hwm = proc_status(pid)
				ptrace(PTRACE_CONT, pid, 0)
				continue
			# Signal-delivery stop: hand the signal on.
			ptrace(PTRACE_CONT, pid, sig)
			continue
		break
	if first:
		msg = os.read(rfd, 4096).lstrip(b"TU")
		if msg.startswith(b"E"):
			sys.stderr.write("measure.py: cannot run %s: %s\n"
			    % (args[0], msg[1:].decode()))
	os.close(rfd)
	wall = time.monotonic() - t0
	signal.setitimer(signal.ITIMER_REAL, 0)
	if os.WIFSIGNALED(status):
		rc = 128 + os.WTERMSIG(status)
	else:
		rc = os.WEXITSTATUS(status)
	return rc, wall, hwm if traced else None


def main(argv):
	out = None
	limit = 0
	args = argv[1:]
	while len(args) >= 2 and args[0] in ("-o", "-t"):
		if args[0] == "-o":
			out = args[1]
		else:
			limit = float(args[1])
		args = args[2:]
	if args and args[0] == "--":
		args = args[1:]
	if not args:
		sys.stderr.write(__doc__)
		return 2
	rc, wall, hwm = run(args, limit)
	ru = resource.getrusage(resource.RUSAGE_CHILDREN)
	tree = ru.ru_maxrss
	src = "hwm" if hwm is not None else "rusage"
	peak, anon, fil = hwm if hwm is not None else (tree, 0, 0)
	line = ("wall_s=%.6f maxrss_kb=%d tree_maxrss_kb=%d rss_src=%s "
	    "anon_kb=%d file_kb=%d user_s=%.3f sys_s=%.3f rc=%d%s\n" % (
	    wall, peak, tree, src, anon, fil, ru.ru_utime, ru.ru_stime, rc,
	    " timeout=1" if TIMED_OUT else ""))
	if out:
		with open(out, "a") as f:
			f.write(line)
	else:
		sys.stdout.write(line)
	return rc


if __name__ == "__main__":
	sys.exit(main(sys.argv))
