/**
 * @message-io/create-adapter: generates a message-io adapter package from the templates of the
 * message-io repository. Run it as `npm create @message-io/adapter my-link`; the functions below
 * are what the command and the repository's plop generator use.
 */
export { bundleFromRepo, loadBundle, type TemplateBundle, type Versions } from './bundle.js';
export {
  adapterName,
  checkDescription,
  checkName,
  checkPackageName,
  checkTransportName,
  DEFAULT_DESCRIPTION,
  pascalCase,
  templateData,
  type AdapterAnswers,
  type Ranges,
  type TemplateData,
} from './names.js';
export { outputPath, render } from './render.js';
export { COMMUNITY_PREFIX, scaffold, standaloneFiles, standalonePackageJson, type ScaffoldOptions, type ScaffoldResult } from './scaffold.js';
