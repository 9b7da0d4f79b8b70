"""Running work: the queue, the runner (fan-out, timeouts, cancel, retry), step executors over
SSH, the recorder that persists progress before announcing it, and callbacks."""
