import type { GpuId } from "./ids";
import type { GpuSpec } from "./types";

/**
 * GPU types. Conventions (see `GpuSpec` in `types.ts`):
 *
 * - `memoryGiB` is the total the CUDA runtime reports (`cudaDeviceProp.totalGlobalMem`, i.e.
 *   `torch.cuda.get_device_properties(i).total_memory`, or the "total capacity" in PyTorch's
 *   OOM message) divided by 2^30. It is NOT the marketing number: NVIDIA's "80 GB" on an HBM
 *   part is 80 GiB of DRAM, of which the driver/firmware keep ~1% (an 80 GB H100 reports
 *   85,031,714,816 B = 79.19 GiB); on GDDR6 parts ("24 GB", "48 GB" = 24/48 GiB of DRAM)
 *   ECC and the reservation take ~7-8%. So the conversion is never GB x 10^9 / 2^30; each
 *   entry below uses a reported CUDA total where one is public (they drift by ~0.1 GiB
 *   between driver versions) and says how it was obtained.
 * - `bf16Tflops` is the dense BF16 tensor-core peak. NVIDIA datasheets print the 2:4-sparse
 *   figure (marked "*", "with sparsity"); dense is half of it.
 * - `memoryBandwidthTBs` is the datasheet peak, TB/s = 10^12 B/s.
 * - `hostLinkGBs` is the nominal per-direction PCIe bandwidth: Gen4 x16 = 32 GB/s,
 *   Gen5 x16 = 64 GB/s (what swapping LoRA adapters CPU->GPU is bounded by).
 * - `costPerHour` is a typical on-demand price per GPU-hour, rounded, from the page cited
 *   with its publication date; all pages were read on 2026-11-21. The planner compares
 *   GPUs, so the prices aim at one market tier ("specialty" GPU clouds: Lambda, RunPod,
 *   CoreWeave-class providers, not hyperscalers) where a price for it exists. Prices move;
 *   the app lets the user edit them.
 */
export const GPUS: Record<GpuId, GpuSpec> = {
  // The measured GPU. MareNostrum 5's accelerated partition (ACC) has 4 "NVIDIA Hopper H100
  // 64GB HBM2" per node (BSC); it is the SXM5 board with 4 of the 5 HBM stacks of the 80 GB
  // part populated (PCI id 10de:2337, "H100 SXM5 64GB", MIG profile 7g.64gb in NVIDIA's vGPU
  // docs). NVIDIA publishes no datasheet for this SKU, so three numbers are ASSUMPTIONS:
  // - memoryGiB 63.35 = 64 GiB x (79.19 / 80), i.e. the same ~1% reservation as the 80 GB
  //   part (the A100 40 GB vs 80 GB reservations are also proportional). Replace with the
  //   value `torch.cuda.get_device_properties(0).total_memory / 2**30` prints on an ACC node.
  // - memoryBandwidthTBs 1.64: BSC lists the memory as HBM2 (i.e. HBM2e), not HBM3, so we
  //   take the H100 PCIe's HBM2e rate (2.0 TB/s over 5 stacks = 0.4 TB/s per stack) times
  //   4 stacks (4 x 1024 bit x ~3.2 Gb/s = 1.64 TB/s). If the stacks were HBM3 at the
  //   80 GB SXM part's rate it would be 3.35 x 4/5 = 2.68 TB/s. Either way it is below
  //   the 80 GB part's 3.35 TB/s. Confirm with a STREAM-like copy kernel on an ACC node.
  // - bf16Tflops 989.4: same 132-SM SXM5 GH100 at the same clocks as the 80 GB SXM5.
  // Host link: the node's Xeon 8460Y+ (Sapphire Rapids) and the H100 are both PCIe Gen5.
  // Cost: MareNostrum 5 is allocated, not rented; priced like an H100 SXM so fleets compare.
  "h100-64gb": {
    id: "h100-64gb",
    displayName: "H100 SXM5 64 GB (MareNostrum 5)",
    memoryGiB: 63.35,
    bf16Tflops: 989.4,
    memoryBandwidthTBs: 1.64,
    hostLinkGBs: 64,
    hostLink: "PCIe Gen5 x16",
    costPerHour: 3.0,
    sources: [
      "https://www.bsc.es/supportkc/docs/MareNostrum5/overview (ACC node: 4x NVIDIA Hopper H100 64GB HBM2, 2x Xeon Platinum 8460Y+)",
      "https://www.bsc.es/marenostrum/marenostrum-5",
      "https://docs.nvidia.com/vgpu/latest/grid-vgpu-user-guide/index.html (NVIDIA H100 SXM5 64GB, MIG 7g.64gb)",
      "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet (H100 PCIe: 80 GB HBM2e, 2 TB/s; SXM: 1,979 TFLOPS BF16 with sparsity)",
      "ASSUMPTIONS: memoryGiB scaled from the 80 GB part; bandwidth = 4 HBM2e stacks (1.64 TB/s; 2.68 TB/s if HBM3); see comment in gpus.ts",
    ],
  },

  // H100 SXM5 80 GB HBM3. CUDA total 85,031,714,816 B = 79.19 GiB (nvidia-smi shows
  // 81,559 MiB; vLLM logs "total_gpu_memory (79.11-79.25GiB)" depending on driver).
  // BF16 dense 989.4 = 1,978.9 sparse / 2 (Hopper whitepaper table).
  "h100-sxm-80gb": {
    id: "h100-sxm-80gb",
    displayName: "H100 SXM5 80 GB",
    memoryGiB: 79.19,
    bf16Tflops: 989.4,
    memoryBandwidthTBs: 3.35,
    hostLinkGBs: 64,
    hostLink: "PCIe Gen5 x16",
    costPerHour: 3.0,
    sources: [
      "https://www.nvidia.com/en-us/data-center/h100/ (SXM: 80 GB, 3.35 TB/s, BF16 1,979 TFLOPS with sparsity, PCIe Gen5 128 GB/s bidirectional)",
      "https://resources.nvidia.com/en-us-tensor-core/gtc22-whitepaper-hopper (BF16 dense 989.4 TFLOPS for H100 SXM5)",
      "https://github.com/modal-labs/modal-client/pull/2797 (nvidia-smi total 81559 MiB)",
      "https://www.mercatus-ai.com/blog/cloud-gpu-pricing (May 2026: H100 SXM5 specialty clouds $2.50-$3.50/h on demand -> $3.00)",
    ],
  },

  // H200 SXM 141 GB HBM3e (6 x 24 GiB stacks). PyTorch reports "total capacity of
  // 139.80 GiB" on H200 in public OOM logs. Same GH100 compute as H100 SXM: 989.4 dense.
  h200: {
    id: "h200",
    displayName: "H200 SXM 141 GB",
    memoryGiB: 139.8,
    bf16Tflops: 989.4,
    memoryBandwidthTBs: 4.8,
    hostLinkGBs: 64,
    hostLink: "PCIe Gen5 x16",
    costPerHour: 4.0,
    sources: [
      "https://www.nvidia.com/en-us/data-center/h200/ (141 GB HBM3e, 4.8 TB/s, BF16 1,979 TFLOPS with sparsity, PCIe Gen5 128 GB/s)",
      "https://www.mercatus-ai.com/blog/cloud-gpu-pricing (May 2026: H200 SXM5 specialty clouds $3.50-$4.50/h -> $4.00)",
    ],
  },

  // A100 SXM4 80 GB HBM2e. PyTorch reports "total capacity of 79.15 GiB".
  "a100-80gb": {
    id: "a100-80gb",
    displayName: "A100 SXM4 80 GB",
    memoryGiB: 79.15,
    bf16Tflops: 312,
    memoryBandwidthTBs: 2.039,
    hostLinkGBs: 32,
    hostLink: "PCIe Gen4 x16",
    costPerHour: 1.3,
    sources: [
      "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (80GB SXM: 2,039 GB/s; BF16 312 TFLOPS dense, 624 sparse; PCIe Gen4 64 GB/s bidirectional)",
      "https://github.com/vllm-project/vllm/issues/4408 (A100 80GB: 'GPU 0 has a total capacity of 79.15 GiB')",
      "https://www.mercatus-ai.com/blog/cloud-gpu-pricing (May 2026: A100 80GB specialty clouds $1.10-$1.50/h -> $1.30)",
    ],
  },

  // A100 SXM4 40 GB HBM2. deviceQuery: 42,298,834,944 B = 39.39 GiB (driver 535/CUDA 12.2;
  // older drivers report 39.59 GiB).
  "a100-40gb": {
    id: "a100-40gb",
    displayName: "A100 SXM4 40 GB",
    memoryGiB: 39.39,
    bf16Tflops: 312,
    memoryBandwidthTBs: 1.555,
    hostLinkGBs: 32,
    hostLink: "PCIe Gen4 x16",
    costPerHour: 1.2,
    sources: [
      "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (40GB SXM: 1,555 GB/s; BF16 312 TFLOPS dense)",
      "https://github.com/bottlerocket-os/bottlerocket/pull/3873 (deviceQuery A100-SXM4-40GB: 40339 MBytes = 42298834944 bytes)",
      "ASSUMPTION price: no dated on-demand page found for the 40 GB SXM4; set just below the A100 80GB specialty rate ($1.30). Lambda has listed 1x A100 40GB SXM4 between $1.29 and $1.99/h",
    ],
  },

  // L40S 48 GB GDDR6 with ECC: nvidia-smi 46,068 MiB; PyTorch "total capacity of 44.39 GiB".
  // BF16 dense 362.05 (datasheet: 362.05 | 733* with sparsity).
  l40s: {
    id: "l40s",
    displayName: "L40S 48 GB",
    memoryGiB: 44.39,
    bf16Tflops: 362.05,
    memoryBandwidthTBs: 0.864,
    hostLinkGBs: 32,
    hostLink: "PCIe Gen4 x16",
    costPerHour: 1.3,
    sources: [
      "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413 (48 GB GDDR6, 864 GB/s, BF16 362.05 | 733 with sparsity, PCIe Gen4 x16 64 GB/s bidirectional)",
      "https://github.com/modal-labs/modal-client/pull/2797 (nvidia-smi total 46068 MiB)",
      "https://modal.com/blog/nvidia-l40s-price-article (Aug 2025: on-demand RunPod $0.86, Civo $1.29, Vultr $1.67, AWS g6e $1.861 -> $1.30)",
    ],
  },

  // L4 24 GB GDDR6: nvidia-smi 23,034 MiB; PyTorch "total capacity of 22.03 GiB".
  // BF16 dense 121 = 242 with sparsity / 2.
  l4: {
    id: "l4",
    displayName: "L4 24 GB",
    memoryGiB: 22.03,
    bf16Tflops: 121,
    memoryBandwidthTBs: 0.3,
    hostLinkGBs: 32,
    hostLink: "PCIe Gen4 x16",
    costPerHour: 0.8,
    sources: [
      "https://resources.nvidia.com/en-us-data-center-overview/l4-gpu-datasheet (24 GB, 300 GB/s, BF16 242 TFLOPS with sparsity, PCIe Gen4 x16 64 GB/s bidirectional)",
      "https://github.com/modal-labs/modal-client/pull/2797 (nvidia-smi total 23034 MiB)",
      "https://deploybase.ai/articles/runpod-gpu-pricing (Mar 2026: RunPod L4 on-demand $0.78/h -> $0.80)",
    ],
  },

  // A10G: AWS-only variant of the A10 (EC2 G5). Same 24 GB GDDR6 / 600 GB/s as the A10 but
  // lower tensor throughput: 70 TFLOPS dense FP16/BF16 vs the A10's 125. PyTorch on g5
  // instances reports "22.19 GiB total capacity". Only sold inside g5 instances: the price
  // is AWS's g5.xlarge (1 GPU, 4 vCPU) on-demand rate in us-east-1.
  a10g: {
    id: "a10g",
    displayName: "A10G 24 GB (AWS G5)",
    memoryGiB: 22.19,
    bf16Tflops: 70,
    memoryBandwidthTBs: 0.6,
    hostLinkGBs: 32,
    hostLink: "PCIe Gen4 x16",
    costPerHour: 1.0,
    sources: [
      "https://www.baseten.co/blog/nvidia-a10-vs-a10g-for-ml-model-inference/ (A10G: 24 GB, 600 GB/s, 70 TFLOPS BF16 tensor vs A10 125)",
      "https://aws.amazon.com/ec2/instance-types/g5/",
      "https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/ (June 2026: g5.xlarge $1.006/h us-east-1 -> $1.00)",
    ],
  },

  // B200 (HGX, 1000 W). CUDA total 178.35 GiB (pytorch/ao#4002 device query; PyTorch OOM
  // messages show 178.36 GiB). BF16 dense 2,250 = HGX B200's 36 PFLOPS sparse / 8 GPUs / 2.
  // Bandwidth: datasheet 8 TB/s (HGX B200: 64 TB/s for 8 GPUs); the driver-reported bus
  // (7680 bit x 3996 MHz x 2) gives 7.67 TB/s, see pytorch/ao#4002.
  b200: {
    id: "b200",
    displayName: "B200 180 GB",
    memoryGiB: 178.35,
    bf16Tflops: 2250,
    memoryBandwidthTBs: 8.0,
    hostLinkGBs: 64,
    hostLink: "PCIe Gen5 x16",
    costPerHour: 5.25,
    sources: [
      "https://www.nvidia.com/en-us/data-center/hgx/ (HGX B200: 8x 180 GB HBM3e, 64 TB/s total, FP16/BF16 36 PFLOPS with sparsity)",
      "https://github.com/pytorch/ao/pull/4002 (B200 device query: Total Global Memory 178.35; bf16 dense peak 2.25e15)",
      "https://lyceum.technology/magazine/nvidia-b200-gpu-cloud-pricing-2026/ (Mar 2026: specialized clouds on-demand $4.50-$6.00/h -> $5.25)",
    ],
  },
};
