// What runs over SSH on the hosts: one component per remote lifecycle step, and the pure builders behind them.
export * from "./NodePrep";
export * from "./CertificateCheck";
export * from "./certExpiry";
export * from "./ControlPlane";
export * from "./ControlPlaneConfig";
export * from "./NodeJoin";
export * from "./NodeUpgrade";
export * from "./RegistryTrust";
export * from "./connection";
export * from "./identity";
export * from "./versions";
export * from "./upgradeOrder";
