"""Name catalogues for the demo data: research domains, their algorithms, people and notes.

Everything here is plain data; :mod:`helios_dash.demo.generator` draws from it.
Algorithm names are unique across all domains because their slugs are ids.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..naming import slugify


@dataclass(frozen=True)
class DomainSpec:
    """One research domain: how it looks on screen and how its numbers behave."""

    name: str
    description: str
    focus: str  # a noun phrase that completes algorithm descriptions
    quality: float  # the domain's typical quality score (0-100)
    activity: float  # relative validation volume
    validator: str  # the domain's own validation harness
    baseline: tuple[str, ...]
    improved: tuple[str, ...]
    novel: tuple[str, ...]
    hybrid: tuple[str, ...]

    @property
    def id(self) -> str:
        return slugify(self.name)

    def algorithms(self) -> list[tuple[str, str]]:
        """``(name, type)`` pairs of this domain's algorithms, in catalogue order."""
        groups = {"baseline": self.baseline, "improved": self.improved, "novel": self.novel,
                  "hybrid": self.hybrid}
        return [(name, kind) for kind, names in groups.items() for name in names]


DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec(
        name="Quantum",
        description="Variational and simulation algorithms for near-term quantum processors.",
        focus="variational circuits on noisy quantum hardware",
        quality=62.0, activity=1.2, validator="qiskit-aer",
        baseline=("Standard VQE", "Vanilla QAOA", "Grover Search", "Trotterized Time Evolution"),
        improved=("Warm-Started VQE", "Adaptive QAOA", "Quantum Natural Gradient",
                  "Zero-Noise Extrapolated VQE"),
        novel=("ADAPT-VQE with Qubit Pools", "Recursive QAOA", "Variational Quantum Deflation",
               "Quantum Imaginary Time Evolution", "Layerwise Learning Ansatz"),
        hybrid=("Quantum-Classical Kernel SVM", "Tensor-Network Preconditioned VQE",
                "Classical Shadow Estimator", "Quantum Boltzmann Sampler"),
    ),
    DomainSpec(
        name="Optimization",
        description="Exact and heuristic solvers for combinatorial and continuous optimisation problems.",
        focus="large combinatorial scheduling and routing problems",
        quality=72.0, activity=1.3, validator="or-bench",
        baseline=("Simulated Annealing", "Tabu Search", "Branch and Bound", "Genetic Algorithm"),
        improved=("Simulated Annealing with Restarts", "Reactive Tabu Search", "Parallel Tempering",
                  "IPOP-CMA-ES"),
        novel=("Learned Large Neighbourhood Search", "Neural Diving", "Differentiable Branching Policy",
               "Population-Based Bandit Search", "Adaptive Memory Programming"),
        hybrid=("Memetic Algorithm", "Matheuristic Column Generation", "GRASP with Path Relinking",
                "Quantum-Inspired Annealer"),
    ),
    DomainSpec(
        name="Machine Learning",
        description="Models and training methods for supervised, self-supervised and sequence learning.",
        focus="image and sequence benchmarks",
        quality=75.0, activity=1.6, validator="mlperf-harness",
        baseline=("Logistic Regression", "Random Forest", "ResNet-50", "Gradient Boosted Trees"),
        improved=("Graph Attention Network", "LoRA Fine-Tuning", "Mixup-Regularised ResNet",
                  "Sharpness-Aware Minimisation"),
        novel=("Sparse Mixture of Experts", "Contrastive Masked Autoencoder", "State-Space Sequence Model",
               "Differentiable Architecture Search", "Diffusion Data Augmentation"),
        hybrid=("Physics-Informed Neural Network", "Neuro-Symbolic Rule Learner", "Bayesian Deep Ensemble",
                "Kernel-Augmented Transformer"),
    ),
    DomainSpec(
        name="Cryptography",
        description="Classical and post-quantum primitives, protocols and constant-time implementations.",
        focus="key exchange and signatures",
        quality=86.0, activity=0.8, validator="cryptol-verify",
        baseline=("RSA-2048 OAEP", "ECDH P-256", "AES-GCM Reference", "SHA-256 Merkle Tree"),
        improved=("Constant-Time Montgomery Ladder", "Bitsliced AES", "Batched Ed25519 Verification",
                  "Karatsuba Polynomial Multiply"),
        novel=("Lattice-Based KEM", "Hash-Based Stateless Signatures", "CSIDH Key Exchange",
               "Code-Based KEM", "Threshold Schnorr Signatures"),
        hybrid=("Hybrid X25519-Kyber Handshake", "Lattice Signature with ECDSA Fallback",
                "Post-Quantum TLS Handshake", "Dual-PRF Key Schedule"),
    ),
    DomainSpec(
        name="Bioinformatics",
        description="Sequence alignment, read mapping and phylogenetics for genomic and protein data.",
        focus="aligning sequencing reads against reference genomes",
        quality=70.0, activity=1.0, validator="bio-bench",
        baseline=("Smith-Waterman", "Needleman-Wunsch", "BLAST Seed-and-Extend", "Neighbour-Joining Tree"),
        improved=("Smith-Waterman (SIMD)", "Banded Needleman-Wunsch", "Minimizer-Indexed BLAST",
                  "FM-Index Read Mapper"),
        novel=("Learned Seed Selection", "Protein Language Model Alignment", "Graph Genome Aligner",
               "Variational Phylogenetics", "Deep Variant Caller"),
        hybrid=("HMM-Profile Transformer", "GPU Burrows-Wheeler Aligner", "Alignment-Free k-mer Sketching",
                "Evolutionary Structure Predictor"),
    ),
    DomainSpec(
        name="Materials Science",
        description="Electronic-structure and atomistic simulation methods for discovering new materials.",
        focus="predicting the stability and band gaps of crystals",
        quality=64.0, activity=0.8, validator="dft-check",
        baseline=("Plane-Wave DFT (PBE)", "Classical Molecular Dynamics", "Monte Carlo Cluster Expansion",
                  "Tight-Binding Hamiltonian"),
        improved=("Hybrid-Functional DFT (HSE06)", "Linear-Scaling DFT", "Accelerated Molecular Dynamics",
                  "Wang-Landau Sampling"),
        novel=("Equivariant Interatomic Potential", "Crystal Graph Convolution",
               "Generative Crystal Diffusion",
               "Active-Learning Potential Fitting", "Neural Band-Structure Predictor"),
        hybrid=("ML-Accelerated DFT", "Quantum Embedding (DMET)", "Multiscale Phase-Field Coupling",
                "Bayesian Alloy Screening"),
    ),
    DomainSpec(
        name="Climate Modelling",
        description="Dynamical cores, parameterisations and emulators for weather and climate prediction.",
        focus="medium-range weather and seasonal climate forecasts",
        quality=55.0, activity=0.7, validator="climate-ensemble",
        baseline=("Spectral Dynamical Core", "Finite-Volume Ocean Model", "Bulk Cloud Microphysics",
                  "Kalman Filter Assimilation"),
        improved=("Ensemble Kalman Filter", "Semi-Lagrangian Advection", "Adaptive Mesh Refinement",
                  "Stochastic Parameterisation"),
        novel=("Neural Weather Emulator", "Fourier Neural Operator", "Graph-Based Ocean Emulator",
               "Learned Convection Scheme", "Score-Based Downscaling"),
        hybrid=("Hybrid Physics-ML Cloud Scheme", "4D-Var with Neural Adjoint", "Coupled Ice-Ocean Emulator",
                "Bias-Corrected Ensemble Downscaling"),
    ),
    DomainSpec(
        name="Graph Algorithms",
        description="Traversal, shortest-path, partitioning and community detection on very large graphs.",
        focus="traversals and clustering of billion-edge graphs",
        quality=78.0, activity=1.0, validator="graph-bench",
        baseline=("Dijkstra Shortest Paths", "Breadth-First Search", "Kruskal MST",
                  "Louvain Community Detection"),
        improved=("Delta-Stepping SSSP", "Direction-Optimising BFS", "Leiden Community Detection",
                  "Bidirectional A* Search"),
        novel=("Learned Graph Partitioner", "Spectral Sparsification", "Streaming Triangle Counting",
               "Contraction Hierarchies with Learned Ordering", "Dynamic Connectivity Oracle"),
        hybrid=("GNN-Guided Graph Colouring", "Hybrid Push-Relabel Max Flow", "Sketched Approximate PageRank",
                "Multilevel Graph Embedding"),
    ),
    DomainSpec(
        name="Signal Processing",
        description="Filtering, spectral estimation and detection for radio, audio and sensor signals.",
        focus="filtering and spectral estimation of noisy sensor streams",
        quality=74.0, activity=0.9, validator="dsp-testbench",
        baseline=("Radix-2 FFT", "Direct-Form FIR Filter", "Wiener Filter", "LMS Adaptive Filter"),
        improved=("Split-Radix FFT", "Polyphase Filter Bank", "RLS Adaptive Filter",
                  "Multitaper Spectral Estimation"),
        novel=("Sparse FFT", "Deep Unfolded ISTA", "Learned Beamformer", "Neural Denoising Autoencoder",
               "Compressive Sensing Recovery Network"),
        hybrid=("Kalman-Neural Tracker", "Model-Based Deep Equaliser", "Wavelet Scattering Classifier",
                "MUSIC-CNN Direction Finder"),
    ),
    DomainSpec(
        name="Computational Finance",
        description="Pricing, hedging and risk models for derivatives and portfolios.",
        focus="pricing path-dependent derivatives",
        quality=66.0, activity=1.1, validator="risk-backtest",
        baseline=("Black-Scholes Closed Form", "Monte Carlo Option Pricing", "Binomial Tree Pricer",
                  "Historical VaR"),
        improved=("Sobol Quasi-Monte Carlo", "Longstaff-Schwartz Regression", "Antithetic Variance Reduction",
                  "Adjoint Algorithmic Differentiation"),
        novel=("Deep Hedging", "Neural SDE Calibration", "Rough Volatility Pricer",
               "Transformer Order-Book Model", "Path-Signature Forecaster"),
        hybrid=("Quantum Amplitude Estimation Pricer", "ML-Calibrated Heston Model",
                "Hybrid PDE-Monte Carlo Pricer", "Neural Control Variate Monte Carlo"),
    ),
)

# Harnesses every domain uses next to its own (DomainSpec.validator).
GENERAL_VALIDATORS: tuple[str, ...] = ("pytest-bench", "nightly-ci", "bench-runner")

FIRST_NAMES: tuple[str, ...] = (
    "ada", "alan", "amara", "ben", "chen", "dara", "elena", "farid", "grace", "hugo", "ines", "jonas",
    "kavya", "leo", "maya", "nils", "olga", "priya", "rafael", "sara", "tomas", "uma", "wei", "yusuf",
)
LAST_NAMES: tuple[str, ...] = (
    "almeida", "berger", "castillo", "dubois", "eriksen", "fischer", "garcia", "hoffmann", "ito",
    "jansen", "kowalski", "lindqvist", "moreau", "nakamura", "okafor", "petrov", "quinn", "rossi",
    "schmidt", "tanaka", "ueda", "varga", "weber", "zhang",
)
EMAIL_DOMAIN = "helios-lab.org"

# Placeholders: {name}, {focus}, {baseline} (a baseline of the same domain).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "baseline": (
        "{name}: the reference method for {focus}, used as the domain's speedup baseline.",
        "{name}, the textbook approach to {focus}; every other method is measured against it.",
    ),
    "improved": (
        "{name} refines {baseline} for {focus} with better scaling and lower variance.",
        "{name}: an engineering upgrade of {baseline} that keeps its guarantees for {focus}.",
    ),
    "novel": (
        "{name}, a new approach to {focus} that departs from {baseline}.",
        "{name} rethinks {focus} from scratch; early results beat {baseline} on most suites.",
    ),
    "hybrid": (
        "{name} couples learned components with {baseline} for {focus}.",
        "{name}: a hybrid pipeline that hands the hard cases of {focus} to {baseline}.",
    ),
}

# Internal notes are not for publication; later features may redact them.
NOTES: tuple[str, ...] = (
    "Benchmarks run on the shared GPU pool; numbers from before the driver upgrade are not comparable.",
    "{author} is rewriting the input pipeline; expect noisy results for a few weeks.",
    "Compare against {baseline} on the standard suite only; the extended suite is still flaky.",
    "Pending review by the {domain} working group before any external publication.",
    "Hyperparameters frozen for the quarterly report; do not retune without sign-off from {author}.",
    "One dependency's licence is under legal review; do not share the code outside the lab.",
    "Results depend heavily on the random seed; quote medians over at least five runs.",
)
