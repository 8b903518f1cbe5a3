//! With `--features cuda`: compiles every kernel file with nvcc when it is available — PTX for
//! compute_80 (embedded, JIT-compiled by the driver on sm_80 and sm_90) and, as a check, cubins
//! for sm_80 and sm_90 through ptxas. Without nvcc the kernels are compiled at run time by NVRTC.
//! `MIPSTARK_REQUIRE_NVCC=1` (CI) turns a missing nvcc into a build error.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(mipstark_nvcc_ptx)");
    println!("cargo:rerun-if-env-changed=NVCC");
    println!("cargo:rerun-if-env-changed=CUDA_HOME");
    println!("cargo:rerun-if-env-changed=MIPSTARK_REQUIRE_NVCC");
    if std::env::var_os("CARGO_FEATURE_CUDA").is_none() {
        return;
    }
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels/device");
    println!("cargo:rerun-if-changed={}", dev.display());
    let Some(nvcc) = find_nvcc() else {
        if std::env::var_os("MIPSTARK_REQUIRE_NVCC").is_some() {
            panic!("MIPSTARK_REQUIRE_NVCC is set but nvcc was not found (set NVCC or CUDA_HOME)");
        }
        println!(
            "cargo:warning=nvcc not found: CUDA kernels will be compiled at run time with NVRTC"
        );
        return;
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // Every `.cu` file under kernels/device is a kernel file: the directory is the list.
    let mut files: Vec<String> = std::fs::read_dir(&dev)
        .expect("kernels/device exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".cu"))
        .collect();
    files.sort();
    let mut table = String::from("/// PTX built by nvcc for each kernel file.\npub fn embedded_ptx(file: &str) -> Option<&'static str> {\n    match file {\n");
    for file in &files {
        let stem = file.trim_end_matches(".cu");
        let src = dev.join(file).to_string_lossy().into_owned();
        let inc = dev.to_string_lossy().into_owned();
        let ptx = out
            .join(format!("{stem}.ptx"))
            .to_string_lossy()
            .into_owned();
        run(
            &nvcc,
            &["-ptx", "-arch=compute_80", "-I", &inc, "-o", &ptx, &src],
        );
        for sm in ["sm_80", "sm_90"] {
            let cubin = out
                .join(format!("{stem}.{sm}.cubin"))
                .to_string_lossy()
                .into_owned();
            run(
                &nvcc,
                &[
                    "-cubin",
                    &format!("-arch={sm}"),
                    "-I",
                    &inc,
                    "-o",
                    &cubin,
                    &src,
                ],
            );
        }
        table.push_str(&format!(
            "        {file:?} => Some(include_str!(concat!(env!(\"OUT_DIR\"), \"/{stem}.ptx\"))),\n"
        ));
    }
    table.push_str("        _ => None,\n    }\n}\n");
    std::fs::write(out.join("embedded_ptx.rs"), table).expect("write embedded_ptx.rs");
    println!("cargo:rustc-cfg=mipstark_nvcc_ptx");
}

fn find_nvcc() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NVCC") {
        return Some(PathBuf::from(p));
    }
    if let Some(home) = std::env::var_os("CUDA_HOME") {
        let p = Path::new(&home).join("bin/nvcc");
        if p.is_file() {
            return Some(p);
        }
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("nvcc"))
        .find(|p| p.is_file())
}

fn run(nvcc: &Path, args: &[&str]) {
    let status = Command::new(nvcc)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", nvcc.display()));
    assert!(status.success(), "nvcc {} failed", args.join(" "));
}
