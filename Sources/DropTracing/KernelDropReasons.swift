internal import CBPF
import Verdicts

extension DropReasons {
    /// The running kernel's reasons (libbpf's btf__load_vmlinux_btf); nil when the kernel has no
    /// BTF or no drop reasons (before 5.17).
    public static func ofRunningKernel() -> DropReasons? {
        guard let btf = btf__load_vmlinux_btf() else { return nil }
        defer { btf__free(btf) }
        let id = btf__find_by_name_kind(btf, "skb_drop_reason", UInt32(BTF_KIND_ENUM))
        guard id > 0, let type = btf__type_by_id(btf, UInt32(id)) else { return nil }
        let values = btf_enum(type)!
        var names: [UInt32: String] = [:]
        for i in 0..<Int(btf_vlen(type)) {
            guard let cName = btf__name_by_offset(btf, values[i].name_off) else { continue }
            var name = String(cString: cName)
            if name.hasPrefix("SKB_DROP_REASON_") { name.removeFirst("SKB_DROP_REASON_".count) }
            names[UInt32(bitPattern: values[i].val)] = name
        }
        return names.isEmpty ? nil : DropReasons(names: names)
    }
}
