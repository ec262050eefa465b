// Returning freed heap memory to the system after a large, short-lived allocation.
#if canImport(Glibc)
import Glibc
#endif

/// Building a publication at 100k users allocates a few hundred MB that are freed when it is done;
/// glibc keeps freed memory in its arenas, so the receiver's RSS would stay at that peak for good.
/// `malloc_trim(0)` hands the free pages back. It is looked up at run time: the Glibc module does
/// not export `<malloc.h>`, and a C library other than glibc simply has nothing to do here.
enum FreedMemory {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static let mallocTrim: MallocTrim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
        #else
        return nil
        #endif
    }()

    /// Gives memory the allocator holds but does not use back to the system.
    static func release() {
        _ = mallocTrim?(0)
    }
}
