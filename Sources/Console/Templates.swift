// The console's pages: Mustache templates kept in the binary (no files to install, nothing
// fetched). `{{x}}` is HTML-escaped; `{{{body}}}` only ever takes a page this library rendered.
// No script anywhere: every flow is a link or a form.
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>{{title}} · SUNK Bridge</title><link rel="stylesheet" href="/console/style.css"></head>
        <body><header><span class="brand">SUNK Bridge</span> <span class="org">org {{org}}</span>
        {{#session}}<nav><a href="/console/{{org}}/">Home</a> <a href="/console/{{org}}/saml">SAML SSO</a>
        <a href="/console/{{org}}/scim">SCIM Configuration</a> <a href="/console/{{org}}/users">Users</a>
        <a href="/console/{{org}}/groups">Groups</a> <a href="/console/{{org}}/audit">Audit</a></nav>
        <form class="signout" method="post" action="/console/{{org}}/sign-out"><input type="hidden" name="csrf" value="{{csrf}}">
        <span id="admin">{{admin}}</span> <button type="submit">Sign out</button></form>{{/session}}</header>
        <main><h1>{{title}}</h1>{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{{body}}}</main></body></html>

        """

    static let refusal = """
        <p>{{message}}</p>
        """

    static let home = """
        <p>Signed in as <strong>{{admin}}</strong> ({{grant}}) until {{expires}} UTC.</p>
        <ul>
        <li><a href="/console/{{org}}/saml">SAML SSO</a>: the values to copy into your IdP, and its values here.</li>
        <li><a href="/console/{{org}}/scim">SCIM Configuration</a>: the SCIM API and provisioning switches, the base URL, tokens.</li>
        <li><a href="/console/{{org}}/users">Users</a> ({{userCount}}) and their Slurm attributes.</li>
        <li><a href="/console/{{org}}/groups">Groups</a>.</li>
        <li><a href="/console/{{org}}/audit">Audit</a>: every change, with who made it.</li>
        </ul>
        """

    static let saml = """
        <h2>Service provider: copy into your IdP</h2>
        <dl class="copy">
        <dt>Single sign-on URL (ACS URL)</dt><dd><code id="acs-url">{{acsURL}}</code></dd>
        <dt>Audience URI (SP Entity ID)</dt><dd><code id="entity-id">{{entityID}}</code></dd>
        <dt>SP metadata</dt><dd><a href="{{metadataURL}}"><code>{{metadataURL}}</code></a></dd>
        <dt>Attribute statements</dt><dd><code>first_name</code>, <code>last_name</code>, <code>email</code></dd>
        </dl>
        <h2>Identity provider: paste from your IdP</h2>
        {{#certificate}}<p class="current">Signing certificate now: <code>{{subject}}</code>, SHA-256
        <code id="idp-fingerprint">{{fingerprint}}</code>, valid until {{notAfter}}{{#expired}} <strong class="error">(expired)</strong>{{/expired}}.</p>{{/certificate}}
        <form method="post" action="/console/{{org}}/saml"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Identity Provider Single Sign-On URL<input name="sso_url" type="url" required value="{{ssoURL}}"></label>
        <label>Identity Provider Issuer (entity ID)<input name="issuer" required value="{{issuer}}"></label>
        <label>X.509 signing certificate (PEM)<textarea name="certificate" rows="8" required>{{certificatePEM}}</textarea></label>
        <label>Console admin group (a pushed group's name; empty for none)<input name="admin_group" value="{{adminGroup}}"></label>
        <button type="submit">Save</button></form>
        <h2>Console admins by email</h2>
        <ul>{{#adminEmails}}<li>{{.}} <form class="inline" method="post" action="/console/{{org}}/saml/admins/remove">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="email" value="{{.}}">
        <button type="submit">Remove</button></form></li>{{/adminEmails}}{{^adminEmails}}<li>none</li>{{/adminEmails}}</ul>
        <form method="post" action="/console/{{org}}/saml/admins"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Email<input name="email" type="email" required maxlength="254"></label>
        <button type="submit">Add admin</button></form>
        <p>The same on the command line: <code>sunk-bridge org admins add|remove {{org}} EMAIL</code>.</p>
        """

    static let scim = """
        {{#secret}}<div class="secret" role="status"><p>Token <strong>{{name}}</strong> created. Copy the secret
        now: it is shown only this once.</p><p><code id="new-secret">{{value}}</code></p></div>{{/secret}}
        <h2>Switches</h2>
        <form method="post" action="/console/{{org}}/scim/switches"><input type="hidden" name="csrf" value="{{csrf}}">
        <label class="check"><input type="checkbox" name="scim_api" value="on"{{#scimAPI}} checked{{/scimAPI}}> Enable SCIM API</label>
        <label class="check"><input type="checkbox" name="provisioning" value="on"{{#provisioning}} checked{{/provisioning}}> Enable Automated User Provisioning</label>
        <button type="submit">Save</button></form>
        <p>SCIM API: <strong id="scim-api-state">{{#scimAPI}}on{{/scimAPI}}{{^scimAPI}}off{{/scimAPI}}</strong>;
        provisioning: <strong id="provisioning-state">{{#provisioning}}on{{/provisioning}}{{^provisioning}}off (nodes keep the snapshot frozen when it was turned off){{/provisioning}}</strong>.</p>
        <h2>SCIM connector base URL</h2><p><code id="scim-base-url">{{baseURL}}</code></p>
        <p>Unique identifier field for users: <code>userName</code>. Authentication mode: HTTP Header (Bearer token).</p>
        <h2>Tokens</h2>
        <table><thead><tr><th>Name</th><th>Scope</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>
        {{#tokens}}<tr><td>{{name}}</td><td>{{scope}}</td><td>{{createdAt}}</td><td>{{lastUsedAt}}</td>
        <td><form method="post" action="/console/{{org}}/scim/tokens/revoke"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="name" value="{{name}}"><button type="submit">Revoke</button></form></td></tr>{{/tokens}}
        {{^tokens}}<tr><td colspan="5">no tokens</td></tr>{{/tokens}}
        </tbody></table>
        <form method="post" action="/console/{{org}}/scim/tokens"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>New token name<input name="name" required maxlength="128"></label>
        <label>Scope<select name="scope"><option value="scim">scim (the IdP)</option><option value="node">node (nodes read)</option></select></label>
        <button type="submit">Create token</button></form>
        """

    static let users = """
        <form method="get" action="/console/{{org}}/users"><label>userName starts with<input name="q" value="{{query}}"></label>
        <button type="submit">Search</button></form>
        <p>{{total}} users{{#query}} whose userName starts with {{query}} (at most {{limit}} shown){{/query}}.</p>
        <table><thead><tr><th>userName</th><th>POSIX name</th><th>uid</th><th>Active</th><th>Exported</th><th></th></tr></thead><tbody>
        {{#users}}<tr><td>{{userName}}</td><td>{{posixName}}</td><td>{{uid}}</td><td>{{active}}</td><td>{{exported}}</td>
        <td><a href="/console/{{org}}/users/{{id}}">View Details</a></td></tr>{{/users}}
        </tbody></table>
        <p>{{#previous}}<a rel="prev" href="/console/{{org}}/users?page={{previous}}">Previous</a> {{/previous}}
        {{#next}}<a rel="next" href="/console/{{org}}/users?page={{next}}">Next</a>{{/next}}</p>
        """

    static let user = """
        <h2>Slurm Attributes</h2>
        <dl class="attributes">
        <dt>userName</dt><dd>{{userName}}</dd>
        <dt>POSIX name</dt><dd id="posix-name">{{posixName}}</dd>
        <dt>uid</dt><dd id="uid">{{uid}}</dd>
        <dt>gid</dt><dd id="gid">{{gid}}</dd>
        <dt>Home</dt><dd>{{home}}</dd>
        <dt>Shell</dt><dd>{{shell}}</dd>
        <dt>Active</dt><dd>{{active}}</dd>
        <dt>SSH keys</dt><dd><ul>{{#keys}}<li><code>{{.}}</code></li>{{/keys}}{{^keys}}<li>none</li>{{/keys}}</ul></dd>
        <dt>Groups</dt><dd>{{#groups}}{{.}} {{/groups}}</dd>
        <dt>Exported to nodes</dt><dd id="exported">{{#notExported}}no{{/notExported}}{{^notExported}}yes{{/notExported}}</dd>
        </dl>
        {{#notExported}}<h2>Why it is not exported</h2>{{/notExported}}
        <ul>{{#refusals}}<li class="refusal">{{.}}</li>{{/refusals}}</ul>
        <p><a href="/console/{{org}}/users">All users</a></p>
        """

    static let groups = """
        <table><thead><tr><th>displayName</th><th>POSIX name</th><th>gid</th><th>Members</th></tr></thead><tbody>
        {{#groups}}<tr><td>{{displayName}}</td><td>{{posixName}}</td><td>{{gid}}</td><td>{{members}}</td></tr>{{/groups}}
        {{^groups}}<tr><td colspan="4">no groups</td></tr>{{/groups}}
        </tbody></table>
        """

    static let audit = """
        <form method="get" action="/console/{{org}}/audit">
        <label>From (UTC)<input name="since" value="{{since}}" placeholder="2026-01-31T00:00"></label>
        <label>Until (UTC)<input name="until" value="{{until}}" placeholder="2026-02-01T00:00"></label>
        <label>Actor<input name="actor" value="{{actor}}"></label><button type="submit">Filter</button></form>
        <p>{{count}} entries, newest first.</p>
        <table><thead><tr><th>When</th><th>Actor</th><th>What</th><th>Resource</th><th>Outcome</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{method}}</td><td>{{resource}}</td><td>{{outcome}}</td></tr>{{/entries}}
        </tbody></table>
        """

    static let stylesheet = """
        body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a}
        header{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.6em 1.2em;background:#1d3557;color:#fff}
        header a{color:#fff}.brand{font-weight:700}nav{display:flex;gap:.8em;flex:1}
        main{padding:1em 1.2em;max-width:70em}label{display:block;margin:.5em 0}
        label input:not([type=checkbox]),label textarea,label select{display:block;width:100%;max-width:40em}
        label.check{display:flex;gap:.4em}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.2em .5em;text-align:left}
        .error{color:#a00}.notice{color:#060}.secret{border:2px solid #c80;padding:.5em 1em}
        code{overflow-wrap:anywhere}dt{font-weight:600}form.signout{display:inline}

        """
}
