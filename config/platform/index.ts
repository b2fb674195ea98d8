export * from "./access";
export * from "./etcdBackup";
export * from "./filesets";
export * from "./htcondor";
export * from "./jupyter";
export * from "./platform";
export * from "./registry";
export * from "./storage";
