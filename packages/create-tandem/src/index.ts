export {
  appDependencyRanges,
  appPackageJson,
  packageNameFor,
  type AppPackageJson,
} from './app-package-json.js';
export {
  DirectoryNotEmpty,
  ownVersion,
  scaffold,
  type ScaffoldOptions,
  type ScaffoldResult,
} from './scaffold.js';
export { runCreateTandem, type Output } from './run-create-tandem.js';
