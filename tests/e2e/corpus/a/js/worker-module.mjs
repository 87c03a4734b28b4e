import { where } from "./worker-dep.mjs";
postMessage([where(), new URL("./x.png", import.meta.url).href, location.search === "" ? "no query" : "query"]);
