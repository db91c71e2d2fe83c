#if canImport(Glibc)
import Glibc
#endif

/// Starts `body` on a new detached POSIX thread. Capture and the lab need threads of their own
/// (a thread can enter a network namespace without moving the rest of the process).
public func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box.toOpaque())
    precondition(started == 0, "pthread_create failed: \(started)")
    pthread_detach(thread)
}

/// A one-shot hand-over of a value from one thread to another.
final class Handoff<Value: Sendable>: @unchecked Sendable {
    private var value: Value?
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    deinit {
        pthread_cond_destroy(&cond)
        pthread_mutex_destroy(&mutex)
    }

    func put(_ v: Value) {
        pthread_mutex_lock(&mutex)
        value = v
        pthread_cond_signal(&cond)
        pthread_mutex_unlock(&mutex)
    }

    @discardableResult
    func take() -> Value {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&cond, &mutex) }
        let v = value!
        pthread_mutex_unlock(&mutex)
        return v
    }

    /// The value, or nil when none was put within `timeoutMilliseconds`.
    func take(timeoutMilliseconds: Int) -> Value? {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = deadline.tv_nsec + timeoutMilliseconds % 1000 * 1_000_000
        deadline.tv_sec += timeoutMilliseconds / 1000 + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(&mutex)
        while value == nil && pthread_cond_timedwait(&cond, &mutex, &deadline) == 0 {}
        let v = value
        pthread_mutex_unlock(&mutex)
        return v
    }
}
