import React, { useEffect, useState } from "react";
import {
  AppChrome,
  HeaderBar,
  Sidebar,
  SidebarItem,
  SidebarItemLabel,
  SidebarSection,
  UIKitProvider,
} from "@dcos/ui-kit";

import { get, onUnauthorized, request } from "./lib/api.js";
import { go, useRoute } from "./lib/route.js";
import { Login } from "./views/Login.jsx";
import { Dashboard } from "./views/Dashboard.jsx";
import { Services } from "./views/Services.jsx";
import { Jobs } from "./views/Jobs.jsx";
import { Nodes } from "./views/Nodes.jsx";
import { Components } from "./views/Components.jsx";
import { Catalog } from "./views/Catalog.jsx";

const NAV = [
  { section: null, items: [["dashboard", "Dashboard", "product-graph"]] },
  {
    section: "Resources",
    items: [
      ["services", "Services", "product-services"],
      ["jobs", "Jobs", "product-jobs"],
      ["catalog", "Catalog", "product-packages"],
    ],
  },
  {
    section: "System",
    items: [
      ["nodes", "Nodes", "product-servers"],
      ["components", "Components", "product-components"],
    ],
  },
];

const VIEWS = {
  dashboard: Dashboard,
  services: Services,
  jobs: Jobs,
  catalog: Catalog,
  nodes: Nodes,
  components: Components,
};

function useClusterName() {
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  useEffect(() => {
    get("/mesos/master/state-summary")
      .then((s) => setName(s.cluster || s.hostname || ""))
      .catch(() => {});
    get("/dcos-metadata/dcos-version.json")
      .then((v) => setVersion(v.version || ""))
      .catch(() => {});
  }, []);
  return { name, version };
}

function Header({ onLogout }) {
  const { name, version } = useClusterName();
  return (
    // ui-kit's theme wins over HeaderBar's bgColor: the wrapper paints it.
    <div className="header-wrap">
    <HeaderBar>
      <div className="header">
        <a className="brand" href="#/dashboard">
          DC/OS
        </a>
        <span className="cluster" data-testid="cluster-name">
          {name}
        </span>
        <span className="version" data-testid="cluster-version">
          {version ? `DC/OS ${version}` : ""}
        </span>
        <span className="spacer" />
        <button className="link-button" onClick={onLogout} data-testid="logout">
          Log out
        </button>
      </div>
    </HeaderBar>
    </div>
  );
}

function Nav({ current }) {
  return (
    <Sidebar isOpen={true} bgColor="#262a33" hoverColor="#343946" activeColor="#3d4250">
      {NAV.map(({ section, items }) => (
        <SidebarSection key={section || "top"} label={section || undefined}>
          {items.map(([id, label, icon]) => (
            <SidebarItem key={id} url={`#/${id}`} isActive={current === id}>
              <SidebarItemLabel icon={icon}>{label}</SidebarItemLabel>
            </SidebarItem>
          ))}
        </SidebarSection>
      ))}
    </Sidebar>
  );
}

export function App() {
  const route = useRoute();
  useEffect(
    () =>
      onUnauthorized(() => {
        if (!window.location.hash.startsWith("#/login")) {
          const back = window.location.hash.replace(/^#/, "");
          go(`/login?redirect=${encodeURIComponent(back)}`);
        }
      }),
    [],
  );
  const logout = async () => {
    await request("/acs/api/v1/auth/logout").catch(() => {});
    go("/login");
  };
  const top = route.parts[0] || "dashboard";
  if (top === "login") {
    return (
      <UIKitProvider>
        <Login route={route} />
      </UIKitProvider>
    );
  }
  const View = VIEWS[top] || Dashboard;
  return (
    <UIKitProvider>
      <AppChrome
        sidebar={<Nav current={top} />}
        headerBar={<Header onLogout={logout} />}
        mainContent={
          <main className="main" data-testid={`view-${top}`}>
            <View route={route} />
          </main>
        }
      />
    </UIKitProvider>
  );
}
